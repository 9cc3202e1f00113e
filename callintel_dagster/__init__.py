"""callintel: call intelligence on Dagster."""

import warnings

from dagster import BetaWarning

# Every asset runs many tenant-days in one run through BackfillPolicy.single_run(), a documented
# choice for this project; Dagster's beta notice for it would otherwise repeat once per asset.
warnings.filterwarnings("ignore", category=BetaWarning, message=".*backfill_policy.*")
