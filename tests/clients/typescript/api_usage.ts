// What an integrator writes against the types openapi-typescript generates from
// docs/openapi.json: `make typescript-check` generates stockledger-api.d.ts beside a copy of this
// file and runs `tsc --noEmit --strict` over it. A schema change that breaks this code (an
// operation, field or enum value removed or retyped) fails the check; each `@ts-expect-error`
// fails it when the schema stops refusing what it should.
import type { components, operations, paths } from "./stockledger-api";

type Json<T> = T extends { content: { "application/json": infer B } } ? B : never;

// GET /products: a page of products and the cursor of the next one.
type ListProducts = operations["list_products"];
type ProductPage = Json<ListProducts["responses"][200]>;
const productQuery: NonNullable<ListProducts["parameters"]["query"]> = {
  limit: 50,
  search: "MUG",
  archived: false,
};
function skusOf(page: ProductPage): string[] {
  return page.items.map((p) => `${p.sku}: ${p.available_on_hand} of ${p.physical_on_hand}`);
}
function nextPage(page: ProductPage): string | null {
  return page.next_cursor;
}
// @ts-expect-error limit is a number
const badQuery: NonNullable<ListProducts["parameters"]["query"]> = { limit: "50" };

// POST /stock/on-hand: exactly one of physical_on_hand (a count) or change (an adjustment).
type OnHandBody = Json<paths["/api/v1/stock/on-hand"]["post"]["requestBody"]>;
const count: OnHandBody = { sku: "MUG-BLUE", warehouse_id: 1, physical_on_hand: 12 };
const adjust: OnHandBody = { sku: "MUG-BLUE", warehouse_id: 1, change: -2, reason: "damaged" };
// @ts-expect-error a count and a change at once
const both: OnHandBody = { sku: "MUG-BLUE", warehouse_id: 1, physical_on_hand: 3, change: 1 };
// @ts-expect-error reasons are an enum
const badReason: OnHandBody = { sku: "MUG-BLUE", warehouse_id: 1, change: 1, reason: "lost" };
// @ts-expect-error the SKU is required
const noSku: OnHandBody = { warehouse_id: 1, change: 1 };
type OnHandCreated = Json<operations["post_on_hand"]["responses"][201]>;
const afterCount = (r: OnHandCreated): number | null => r.entry.physical_on_hand;

// GET /products/{product_id}/log: a page of the Inventory Log.
type LogPage = Json<operations["product_log"]["responses"][200]>;
type LogEntry = components["schemas"]["LogEntryOut"];
const logPath: operations["product_log"]["parameters"]["path"] = { product_id: 7 };
function rows(page: LogPage): [string, number | null, string][] {
  return page.items.map((e: LogEntry) => [e.event_type, e.quantity, e.created_at]);
}

// POST /exports: request a CSV of one product's log; its status says when to download.
type ExportBody = Json<operations["post_export"]["requestBody"]>;
type Export = Json<operations["post_export"]["responses"][201]>;
const exportBody: ExportBody = { product_id: 7, format: "csv", event_types: ["order", "on_hand"] };
const defaults: ExportBody = { product_id: 7 };
// @ts-expect-error formats are csv or xlsx
const pdf: ExportBody = { product_id: 7, format: "pdf" };
function ready(e: Export): boolean {
  switch (e.status) {
    case "complete":
      return e.download_url !== null;
    case "queued":
    case "running":
    case "failed":
    case "expired":
      return false;
  }
}
// @ts-expect-error "done" is not a status
const done: Export["status"] = "done";

// An error answer names its fields.
type Problem = Json<operations["post_export"]["responses"][422]>;
const fields = (p: Problem): string[] => (p.errors ?? []).map((e) => `${e.field}: ${e.message}`);

export {
  productQuery, skusOf, nextPage, badQuery, count, adjust, both, badReason, noSku, afterCount,
  logPath, rows, exportBody, defaults, pdf, ready, done, fields,
};
