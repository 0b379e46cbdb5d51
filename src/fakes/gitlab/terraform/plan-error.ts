/** A configuration error Terraform reports while planning (a failed precondition, a data source with no match). */
export class PlanError extends Error {
  readonly code = 'TERRAFORM_PLAN_ERROR';
}
