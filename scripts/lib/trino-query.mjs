// Runs one SQL statement on the stack's Trino through its HTTP protocol and prints the rows as
// JSON. Exit 1 on any error. Used as the trino readiness probe and for quick manual queries.
const base = `http://127.0.0.1:${process.env.FLOE_TRINO_PORT ?? 8080}`;
const sql = process.argv[2];
const headers = { 'X-Trino-User': 'floe', 'X-Trino-Catalog': 'iceberg' };
try {
  let res = await fetch(`${base}/v1/statement`, { method: 'POST', headers, body: sql, signal: AbortSignal.timeout(10_000) });
  let page = await res.json();
  const rows = [];
  for (;;) {
    if (page.error) throw new Error(page.error.message);
    if (page.data) rows.push(...page.data);
    if (!page.nextUri) break;
    res = await fetch(page.nextUri, { headers, signal: AbortSignal.timeout(30_000) });
    page = await res.json();
  }
  console.log(JSON.stringify(rows));
} catch (err) {
  console.error(`trino: ${err.message}`);
  process.exit(1);
}
