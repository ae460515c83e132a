// A form's numeric limits read from the API's own OpenAPI schema, so that the browser refuses
// exactly what the API refuses (one home for each limit: the backend's pydantic model).

export interface Limit {
  min?: number;
  max?: number;
  exclusiveMin?: number;
  exclusiveMax?: number;
}

type Schema = { components?: { schemas?: Record<string, { properties?: Record<string, Record<string, unknown>> }> } };

const num = (value: unknown) => (typeof value === "number" ? value : undefined);

/** Each numeric property's bounds in `components.schemas[model]` of an OpenAPI document. */
export function limitsOf(openapi: unknown, model: string): Record<string, Limit> {
  const properties = (openapi as Schema)?.components?.schemas?.[model]?.properties ?? {};
  const limits: Record<string, Limit> = {};
  for (const [name, property] of Object.entries(properties)) {
    const limit: Limit = {
      min: num(property.minimum),
      max: num(property.maximum),
      exclusiveMin: num(property.exclusiveMinimum),
      exclusiveMax: num(property.exclusiveMaximum),
    };
    if (Object.values(limit).some((v) => v !== undefined)) limits[name] = limit;
  }
  return limits;
}

/** Whether `value` is inside `limit` (every bound that is set). */
export function withinLimit(value: number, limit: Limit | undefined): boolean {
  if (!limit) return true;
  if (limit.min !== undefined && value < limit.min) return false;
  if (limit.max !== undefined && value > limit.max) return false;
  if (limit.exclusiveMin !== undefined && value <= limit.exclusiveMin) return false;
  if (limit.exclusiveMax !== undefined && value >= limit.exclusiveMax) return false;
  return true;
}

/** The lowest and highest bounds to show and to put on the input (inclusive attributes). */
export function bounds(limit: Limit | undefined): { low?: number; high?: number } {
  return { low: limit?.min ?? limit?.exclusiveMin, high: limit?.max ?? limit?.exclusiveMax };
}

/** The longest patient reference (HN) the API takes, in uploads and the history filter alike
 * (`maxLength` of `patient_ref` in its OpenAPI schema). */
export const MAX_PATIENT_REF = 64;
