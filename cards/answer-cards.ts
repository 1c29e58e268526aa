/**
 * Cards that answer questions asked in chat: who has not filled in yet, how one checklist item stands
 * across units, the problem list, and lists of measures (overdue / due soon).
 */
export {
  pendingCard,
  pendingCountsCard,
  type PendingCardInput,
  type PendingCountsCardInput,
} from "./pending-cards";
export {
  measureCountsCard,
  problemCountsCard,
  type MeasureCountsCardInput,
  type ProblemCountsCardInput,
} from "./count-cards";
export { itemStatusCard, type ItemStatusCardInput } from "./item-status-card";
export { problemListCard, type ProblemListCardInput } from "./problem-list-card";
export {
  MEASURE_LIST_MAX_BUTTON_ROWS,
  measureListCard,
  type MeasureListCardInput,
} from "./measure-list-card";
