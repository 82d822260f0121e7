export type { CheckResult, PromqlIssue, RuleIssue } from './check.js';
export { checkExpression, checkRules } from './check.js';
export type { DashboardCheckOptions, DashboardCheckResult } from './grafana.js';
export { checkDashboardExpression, dashboardVocabulary } from './grafana.js';
export { judgedOperands } from './judged.js';
export type { SeriesInfo, SeriesKind, Vocabulary } from './vocabulary.js';
export { catalogVocabulary, TARGET_LABELS, withRecorded } from './vocabulary.js';
