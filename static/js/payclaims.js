// Start the NHS.UK frontend components (header menu, error summary focus, password show/hide).
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

initAll();
