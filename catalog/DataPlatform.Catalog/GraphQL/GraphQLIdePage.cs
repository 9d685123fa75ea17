namespace DataPlatform.Catalog.GraphQL;

/// <summary>
/// A small self-contained GraphQL IDE for browsers: no CDN, no external script, because the platform must work on
/// machines without internet access (GraphiQL would need its bundle served from somewhere). It lists the root fields
/// from introspection, runs queries with variables, and keeps the last query in the browser's storage.
/// </summary>
static class GraphQLIdePage
{
    public const string Html = """
        <!doctype html>
        <html lang="vi">
        <head>
        <meta charset="utf-8">
        <title>DataPlatform GraphQL</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
          body { margin: 0; font: 14px system-ui, sans-serif; display: grid; grid-template-columns: 260px 1fr 1fr; height: 100vh; }
          aside { border-right: 1px solid #ddd; overflow: auto; padding: 8px; background: #fafafa; }
          aside h2 { font-size: 13px; text-transform: uppercase; color: #555; }
          aside li { cursor: pointer; margin: 4px 0; font-family: monospace; }
          main, section { display: flex; flex-direction: column; padding: 8px; gap: 8px; min-width: 0; }
          textarea, pre { flex: 1; font: 13px ui-monospace, monospace; border: 1px solid #ccc; padding: 8px; margin: 0; overflow: auto; }
          #variables { flex: 0 0 90px; }
          button { align-self: flex-start; padding: 6px 16px; font-weight: 600; }
        </style>
        </head>
        <body>
        <aside><h2>Datasets</h2><ul id="fields"></ul></aside>
        <main>
          <textarea id="query" spellcheck="false" aria-label="Query">{
          datasets { id title field rowCount columns { name type } }
        }</textarea>
          <textarea id="variables" spellcheck="false" aria-label="Variables" placeholder="Variables (JSON)"></textarea>
          <button id="run" type="button">Run (Ctrl+Enter)</button>
        </main>
        <section><pre id="result" aria-live="polite"></pre></section>
        <script>
        const query = document.getElementById('query');
        const variables = document.getElementById('variables');
        const result = document.getElementById('result');
        const saved = localStorage.getItem('dataplatform.graphql.query');
        if (saved) query.value = saved;
        async function post(body) {
          const response = await fetch(location.pathname, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Accept': 'application/graphql-response+json' }, body: JSON.stringify(body) });
          return response.json();
        }
        async function run() {
          localStorage.setItem('dataplatform.graphql.query', query.value);
          let vars = null;
          try { vars = variables.value.trim() ? JSON.parse(variables.value) : null; } catch (e) { result.textContent = 'Variables: ' + e.message; return; }
          result.textContent = '…';
          try { result.textContent = JSON.stringify(await post({ query: query.value, variables: vars }), null, 2); }
          catch (e) { result.textContent = String(e); }
        }
        document.getElementById('run').onclick = run;
        query.addEventListener('keydown', e => { if (e.ctrlKey && e.key === 'Enter') run(); });
        post({ query: '{ __schema { queryType { fields { name description } } } }' }).then(r => {
          const list = document.getElementById('fields');
          for (const field of r.data.__schema.queryType.fields) {
            const item = document.createElement('li');
            item.textContent = field.name;
            item.title = field.description || '';
            item.onclick = () => { query.value = field.name === 'datasets'
              ? '{\n  datasets { id title field rowCount }\n}'
              : '{\n  ' + field.name + '(first: 10) {\n    totalCount\n    nodes { __typename }\n    pageInfo { hasNextPage endCursor }\n  }\n}'; };
            list.appendChild(item);
          }
        });
        </script>
        </body>
        </html>
        """;
}
