/**
 * A value a JSON column holds, as services describe it. Repositories hand it to the database layer
 * (Prisma's JSON input types stay behind them); `null` inside objects and arrays is kept as JSON null.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

export interface JsonObject {
  [key: string]: JsonValue;
}
