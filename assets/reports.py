"""Reports: the self-contained HTML page stakeholders read after every run."""

import dagster as dg

from assets.resources import CineHome, PostgresResource
from reports.render import write_run_report
from reports.summary import build_run_summary


@dg.asset(group_name="reports", deps=["published_version"])
def run_report(
    context: dg.AssetExecutionContext, home: CineHome, postgres: PostgresResource
) -> dg.MaterializeResult:
    """HTML report of this run: data, quarantine, checks, model and sample recommendations."""
    summary = build_run_summary(
        context.instance, context.run_id, home.root, postgres.publisher(), record=True
    )
    path = write_run_report(summary, home.folder("reports"))
    context.log.info(f"report written to {path}")
    return dg.MaterializeResult(
        metadata={"path": dg.MetadataValue.path(str(path)), "status": summary["status"]}
    )
