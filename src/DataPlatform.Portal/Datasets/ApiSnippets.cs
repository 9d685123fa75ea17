using DataPlatform.Portal.Api;

namespace DataPlatform.Portal.Datasets;

/// <summary>One snippet of the API tab: a title and code to copy.</summary>
internal sealed record ApiSnippet(string Id, string Title, string Language, string Code);

/// <summary>
/// Code to call a dataset with, written with its real id and columns: curl, the OData feed for Excel and Power BI,
/// Python, JavaScript and GraphQL. Open data needs no key, so those snippets leave it out; the others show where
/// the key goes, never a real one.
/// </summary>
internal static class ApiSnippets
{
    public static IReadOnlyList<ApiSnippet> For(DatasetView dataset, string root)
    {
        var id = dataset.Id;
        var escaped = Uri.EscapeDataString(id);
        var columns = dataset.Columns.Select(c => c.Name).Take(3).ToList();
        var select = columns.Count > 0 ? "$select=" + string.Join(',', columns) + "&" : "";
        var records = $"{root}/odata/{escaped}/Records";
        var keyed = !dataset.IsOpen;
        var curlKey = keyed ? " -H \"X-Api-Key: $DATAPLATFORM_API_KEY\"" : "";
        var pythonKey = keyed ? ", headers={\"X-Api-Key\": os.environ[\"DATAPLATFORM_API_KEY\"]}" : "";
        var jsKey = keyed ? ", { headers: { \"X-Api-Key\": apiKey } }" : "";
        var field = id.Replace('-', '_');
        var nodes = columns.Count > 0 ? string.Join(' ', columns) : "_row";

        return
        [
            new("curl", "curl", "sh",
                $"curl -s{curlKey} '{records}?{select}$top=10'\n" +
                $"curl -s{curlKey} -o {id}.csv '{root}/api/v1/datasets/{escaped}/download.csv'"),
            new("odata", "OData (Excel, Power BI)", "text",
                $"{root}/odata/{escaped}" + (keyed ? "\n\n# Excel / Power BI: Data → Get Data → OData feed → this address.\n# Key: choose \"Web API\" and enter your key (it is sent as api_key)." : "\n\n# Excel / Power BI: Data → Get Data → OData feed → this address (anonymous).")),
            new("python", "Python (requests, pandas)", "python",
                (keyed ? "import os\n" : "") + "import requests\nimport pandas as pd\n\n" +
                $"rows = requests.get(\"{records}\", params={{\"$top\": 100}}{pythonKey}).json()[\"value\"]\n" +
                "print(rows[0])\n\n" +
                $"df = pd.read_csv(\"{root}/api/v1/datasets/{escaped}/download.csv\", encoding=\"utf-8-sig\"" +
                (keyed ? ", storage_options={\"X-Api-Key\": os.environ[\"DATAPLATFORM_API_KEY\"]}" : "") + ")\nprint(df.head())"),
            new("javascript", "JavaScript (fetch)", "javascript",
                $"const response = await fetch(\"{records}?{select}$top=10\"{jsKey});\n" +
                "const { value } = await response.json();\nconsole.table(value);"),
            new("graphql", "GraphQL", "graphql",
                $"# POST {root}/graphql\n{{\n  {field}(first: 10) {{\n    totalCount\n    nodes {{ {nodes} }}\n    pageInfo {{ hasNextPage endCursor }}\n  }}\n}}"),
        ];
    }
}
