using DataPlatform.Catalog.Query;
using Microsoft.OData;
using Microsoft.OData.UriParser;

namespace DataPlatform.Catalog.OData;

/// <summary>
/// Reads the key of <c>Records(…)</c> with Microsoft.OData.Core's path parser over the dataset's model, so that
/// literals, quoting, compound keys (<c>col1=…,col2=…</c>) and type checks follow the OData URL conventions, and
/// turns it into the plan's filter.
/// </summary>
static class ODataKeys
{
    /// <summary>The predicate that selects the record with key <paramref name="key"/> (the text between the parentheses, unescaped).</summary>
    public static QueryExpression Predicate(ODataModel model, string key)
    {
        IReadOnlyList<KeyValuePair<string, object>> values;
        try
        {
            // The route value is unescaped; the parser unescapes segments itself, so it gets them escaped again.
            var path = new Uri($"{ODataModel.EntitySetName}({Uri.EscapeDataString(key)})", UriKind.Relative);
            var parsed = new ODataUriParser(model.Model, path) { Resolver = new ODataUriResolver { EnableCaseInsensitive = false } }.ParsePath();
            values = parsed.LastSegment is KeySegment segment
                ? segment.Keys.ToList()
                : throw new QueryException("key", "The key must follow the entity set: Records(value) or Records(column=value,…).");
        }
        catch (ODataException e)
        {
            throw new QueryException("key", $"The key ({key}) is not valid for this dataset, keyed on {KeyNames(model)}: {e.Message}", e);
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException or OverflowException or InvalidOperationException)
        {
            throw new QueryException("key", $"The key ({key}) is not valid for this dataset, keyed on {KeyNames(model)}.", e);
        }

        QueryExpression? predicate = null;
        foreach (var (name, value) in values)
        {
            var column = model.Dataset.Column(name) ?? throw new QueryException("key", $"'{name}' is not a key column of this dataset.");
            var equal = new BinaryExpression(BinaryOperator.Equal, new ColumnExpression(column), ODataQueryBuilder.Literal(value, "key"));
            predicate = predicate is null ? equal : new BinaryExpression(BinaryOperator.And, predicate, equal);
        }

        return predicate ?? throw new QueryException("key", "The key is empty.");
    }

    static string KeyNames(ODataModel model) => string.Join(", ", model.Dataset.Columns.Where(c => c.Key).Select(c => c.Name));
}
