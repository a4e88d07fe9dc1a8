"""Reports: the self-contained HTML page stakeholders read after every run."""

import dagster as dg

from pipelines.resources import CineHome, PostgresResource
from pipelines.summary import build_run_summary
from reports.render import write_run_report


@dg.asset(group_name="reports", deps=["published_version"])
def run_report(
    context: dg.AssetExecutionContext, home: CineHome, postgres: PostgresResource
) -> dg.MaterializeResult:
    """HTML report of this run: data, quarantine, checks, model and sample recommendations."""
    summary = build_run_summary(context.instance, context.run_id, home, postgres)
    path = write_run_report(summary, home.folder("reports"))
    context.log.info(f"report written to {path}")
    return dg.MaterializeResult(
        metadata={"path": dg.MetadataValue.path(str(path)), "status": summary["status"]}
    )
