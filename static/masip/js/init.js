// Starts GOV.UK Frontend's components. Loaded with <script type="module">, so only browsers that
// GOV.UK Frontend supports run it; the others keep the plain HTML, which works without script.
// It lives in a file because the Content-Security-Policy refuses inline script.
import { initAll } from "../../vendor/govuk-frontend/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
