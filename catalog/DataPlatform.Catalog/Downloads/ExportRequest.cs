using DataPlatform.Catalog.OData;
using DataPlatform.Catalog.Query;

namespace DataPlatform.Catalog.Downloads;

/// <summary>A download request in the query core's terms.</summary>
/// <param name="Plan">The plan: every visible column in file order, or what the options ask for.</param>
/// <param name="Full">True when no option narrows the version, so the cached, signed file answers.</param>
sealed record ExportRequest(QueryPlan Plan, bool Full);

/// <summary>
/// Reads a download's query options through the OData front door, so a filter means exactly what it means in
/// <c>/odata/{id}/Records</c> and GraphQL: the same parser, the same plan, the same SQL translator. Options may be
/// written with or without the <c>$</c> (OData 4.01); <c>columns=a,b</c> is a friendlier <c>$select</c>.
/// </summary>
static class ExportRequests
{
    static readonly HashSet<string> _options = new(StringComparer.Ordinal) { "filter", "select", "orderby", "search", "apply", "top", "skip" };

    public static ExportRequest Parse(QueryableDataset view, IEnumerable<KeyValuePair<string, string>> query)
    {
        var options = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in query)
        {
            var bare = name.StartsWith('$') ? name[1..] : name;
            if (name == "columns")
            {
                options.Add(new("$select", value));
            }
            else if (_options.Contains(bare))
            {
                options.Add(new("$" + bare, value));
            }
            else if (name.StartsWith('$'))
            {
                throw new QueryException(name,
                    $"'{name}' is not an option of downloads. Downloads take $filter, $select (or columns), $orderby, $search, $apply, $top and $skip.");
            }
        }

        var model = ODataModel.For(view);
        var built = ODataQueryBuilder.Build(model, options);
        var plan = built.Plan;
        if (!plan.IsGrouped && !options.Any(o => o.Key == "$select"))
        {
            // OData keys a dataset without a key column on its row id; a file holds only the dataset's own columns.
            plan = plan with { Select = view.Columns.Select(c => new Projection(c.Name, new ColumnExpression(c))).ToList() };
        }

        return new ExportRequest(plan with { Take = (int)Math.Min(built.Top ?? int.MaxValue, int.MaxValue) }, options.Count == 0);
    }
}
