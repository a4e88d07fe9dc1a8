"""Hostile text for the tests that feed it through a run: markup and script, SQL, control
characters, bidi overrides and a 10,000-character string. Every payload is valid UTF-8; the
script ones set the page title to PWNED if a browser ever ran them."""

PWNED = "PWNED"

PAYLOADS = [
    f"<script>document.title='{PWNED}'</script>",
    f"<img src=x onerror=\"document.title='{PWNED}'\">",
    f'"><svg onload="document.title=\'{PWNED}\'">',
    "Robert'); DROP TABLE cine.movies; --",
    "\u202eevil\u202c \u2067isolate\u2069 \u200bzero-width",
    "bell\x07 escape\x1b[2J\x1b[31m red \x08back \rreturn \x7fdel",
    "{{ 7*7 }} {% raw %} ${HOME} $(id) `id` %s %n",
    "L" * 10_000,
]
