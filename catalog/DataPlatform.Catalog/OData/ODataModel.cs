using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;
using DataPlatform.Catalog.Query;
using Microsoft.OData.Edm;
using Microsoft.OData.Edm.Csdl;

namespace DataPlatform.Catalog.OData;

/// <summary>
/// The EDM model of one dataset as one caller may see it: entity type <c>DataPlatform.Record</c> with a property
/// per visible column, keyed on the key columns, in entity set <c>Records</c>. A dataset without a visible key is
/// keyed on its row id, exposed as <c>_row</c>, because every OData entity type needs a key.
/// </summary>
sealed class ODataModel
{
    public const string Namespace = "DataPlatform";
    public const string EntitySetName = "Records";

    /// <summary>
    /// Models by everything they hold (<see cref="Fingerprint"/>). A dataset's id and version number alone do not
    /// name one model: a dataset deleted and created again starts at version 1 in a new table, a metadata change
    /// can change the access level or the product without a new version, and one process may host more than one
    /// catalog (the launcher in tests), each with its own tables.
    /// </summary>
    static readonly ConcurrentDictionary<string, ODataModel> _cache = new(StringComparer.Ordinal);

    ODataModel(QueryableDataset dataset)
    {
        Dataset = dataset;
        Model = new EdmModel();
        EntityType = new EdmEntityType(Namespace, "Record");
        foreach (var column in dataset.Columns)
        {
            var nullable = column.Nullable && !column.Key;
            // Decimals have a variable scale: the schema does not fix the number of decimal places.
            var property = column.Type == ColumnType.Decimal
                ? EntityType.AddStructuralProperty(column.Name, EdmCoreModel.Instance.GetDecimal(null, null, nullable))
                : EntityType.AddStructuralProperty(column.Name, Kind(column.Type), nullable);
            if (column.Key)
            {
                EntityType.AddKeys(property);
            }
        }

        var container = new EdmEntityContainer(Namespace, "Container");
        EntitySet = container.AddEntitySet(EntitySetName, EntityType);
        Model.AddElement(EntityType);
        Model.AddElement(container);
    }

    /// <summary>The dataset view the model describes (with the row id column added when it is the key).</summary>
    public QueryableDataset Dataset { get; }

    public EdmModel Model { get; }

    public EdmEntityType EntityType { get; }

    public EdmEntitySet EntitySet { get; }

    readonly ConcurrentDictionary<string, ODataQuery> _queries = new(StringComparer.Ordinal);

    /// <summary>
    /// The request's query options parsed into a plan, once per distinct set of options for this model (a dataset
    /// version as one caller may see it): Power Query and dashboards repeat the same query, and parsing is the
    /// largest per-request cost after the database. The <c>$skiptoken</c> is left out of the key and set afresh,
    /// so that every page of one query shares an entry. Failures are not cached; they throw each time.
    /// </summary>
    public ODataQuery Parse(IEnumerable<KeyValuePair<string, string>> options)
    {
        string? token = null;
        var rest = new List<KeyValuePair<string, string>>();
        foreach (var option in options)
        {
            if (option.Key is "$skiptoken" or "skiptoken" && token is null)
            {
                token = option.Value;
            }
            else
            {
                rest.Add(option);
            }
        }

        var key = string.Join("\u0001", rest.Select(o => o.Key + "\u0002" + o.Value));
        if (!_queries.TryGetValue(key, out var query))
        {
            query = ODataQueryBuilder.Build(this, rest);
            if (_queries.Count >= 512)
            {
                _queries.Clear();
            }

            _queries[key] = query;
        }

        return token is null ? query : query with { SkipToken = token };
    }

    /// <summary>The model for <paramref name="view"/>, a dataset already narrowed to what the caller may see.</summary>
    public static ODataModel For(QueryableDataset view)
    {
        if (!view.Columns.Any(c => c.Key))
        {
            view = view with
            {
                Columns = [QueryableColumn.RowId, .. view.Columns],
            };
        }

        if (_cache.Count > 10_000)
        {
            _cache.Clear();
        }

        return _cache.GetOrAdd(Fingerprint(view), _ => new ODataModel(view));
    }

    /// <summary>Every field of the view that the model, or a plan parsed against it, reads.</summary>
    static string Fingerprint(QueryableDataset view) =>
        string.Join('\u0001', [
            view.Id, view.TableName, view.Version.ToString(CultureInfo.InvariantCulture), view.RowCount.ToString(CultureInfo.InvariantCulture),
            view.AccessLevel.ToString(), view.ProductId ?? "", view.Title,
            .. view.Columns.Select(c => string.Join('\u0002',
                c.Name, c.SqlIdentifier, c.Type.ToString(), c.Nullable ? "n" : "", c.Key ? "k" : "", c.Filterable ? "f" : "", c.Sensitivity.ToString())),
        ]);

    /// <summary>The model as CSDL XML, the default form of <c>$metadata</c>.</summary>
    public string CsdlXml()
    {
        var builder = new StringBuilder();
        using (var xml = XmlWriter.Create(builder, new XmlWriterSettings { Indent = true }))
        {
            if (!CsdlWriter.TryWriteCsdl(Model, xml, CsdlTarget.OData, out var errors))
            {
                throw new InvalidOperationException("The generated model cannot be written: " + string.Join("; ", errors));
            }
        }

        // A StringBuilder makes the declaration say utf-16; the bytes sent are UTF-8.
        return builder.ToString().Replace("encoding=\"utf-16\"", "encoding=\"utf-8\"", StringComparison.Ordinal);
    }

    /// <summary>Writes the model as CSDL JSON, the form <c>$metadata?$format=json</c> asks for.</summary>
    public void WriteCsdlJson(Utf8JsonWriter writer)
    {
        if (!CsdlWriter.TryWriteCsdl(Model, writer, out var errors))
        {
            throw new InvalidOperationException("The generated model cannot be written: " + string.Join("; ", errors));
        }
    }

    public static EdmPrimitiveTypeKind Kind(ColumnType type) => type switch
    {
        ColumnType.String => EdmPrimitiveTypeKind.String,
        ColumnType.Integer => EdmPrimitiveTypeKind.Int64,
        ColumnType.Decimal => EdmPrimitiveTypeKind.Decimal,
        ColumnType.Boolean => EdmPrimitiveTypeKind.Boolean,
        ColumnType.Date => EdmPrimitiveTypeKind.Date,
        _ => EdmPrimitiveTypeKind.DateTimeOffset,
    };
}
