// The app's pages and their URLs.
import { route, start } from "./router.js";
import { runsPage } from "./pages/runs.js";
import { runPage } from "./pages/run.js";
import { newRunPage } from "./pages/new_run.js";
import { pipelinesPage } from "./pages/pipelines.js";
import { pipelinePage } from "./pages/pipeline.js";
import { experimentsPage, experimentPage } from "./pages/experiments.js";
import { comparePage } from "./pages/compare.js";
import { recurringListPage, recurringPage, newRecurringPage } from "./pages/recurring.js";
import { artifactPage } from "./pages/artifact.js";
import { namespacePicker } from "./namespace_picker.js";

route("/runs", runsPage);
route("/runs/new", newRunPage);
route("/runs/:run_id", runPage);
route("/compare", comparePage);
route("/pipelines", pipelinesPage);
route("/pipelines/:pipeline_id", pipelinePage);
route("/experiments", experimentsPage);
route("/experiments/:experiment_id", experimentPage);
route("/recurring", recurringListPage);
route("/recurring/new", newRecurringPage);
route("/recurring/:recurring_run_id", recurringPage);
route("/artifacts/:artifact_id", artifactPage);

namespacePicker(document.getElementById("namespace-picker"));
start();
