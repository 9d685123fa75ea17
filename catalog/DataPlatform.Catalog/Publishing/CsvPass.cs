using System.Runtime.CompilerServices;
using DataPlatform.Catalog.Datasets;
using DataPlatform.Catalog.Storage;
using nietras.SeparatedValues;

namespace DataPlatform.Catalog.Publishing;

/// <summary>One row of the file, however it was read: straight from the parser, or kept from the sample.</summary>
interface ICsvRow
{
    int Count { get; }

    long Line { get; }

    ReadOnlySpan<char> Whole { get; }

    ReadOnlySpan<char> Field(int index);
}

/// <summary>A row as the parser hands it out; valid until the parser moves on.</summary>
readonly ref struct ParsedRow(SepReader.Row row) : ICsvRow
{
    readonly SepReader.Row _row = row;

    public int Count => _row.ColCount;

    public long Line => _row.LineNumberFrom;

    public ReadOnlySpan<char> Whole => _row.Span;

    public ReadOnlySpan<char> Field(int index) => _row[index].Span;
}

/// <summary>A row of the sample, copied so that it outlives the parser's buffer.</summary>
sealed class SampledRow
{
    readonly string[] _fields;
    readonly string _whole;
    readonly long _line;

    public SampledRow(ParsedRow row)
    {
        _fields = new string[row.Count];
        for (var i = 0; i < _fields.Length; i++)
        {
            _fields[i] = row.Field(i).ToString();
        }

        _whole = row.Whole.ToString();
        _line = row.Line;
    }

    public Fields View => new(this);

    public readonly struct Fields(SampledRow row) : ICsvRow
    {
        public int Count => row._fields.Length;

        public long Line => row._line;

        public ReadOnlySpan<char> Whole => row._whole;

        public ReadOnlySpan<char> Field(int index) => row._fields[index];
    }
}

/// <summary>What a pass knows about one column of the file: its declaration, its type and what it has seen.</summary>
sealed class ColumnState(string name, ColumnDefinition? declared)
{
    public string Name { get; } = name;

    public ColumnDefinition? Declared { get; } = declared;

    /// <summary>True when the schema gives no type, so the file's values decide it.</summary>
    public bool Inferred => Declared?.Type is null;

    /// <summary>The type values are checked and stored as: declared, or inferred (perhaps only from the sample).</summary>
    public ColumnType Type { get; set; } = declared?.Type ?? ColumnType.String;

    /// <summary>
    /// True for an inferred column whose type is still unknown (the sample had no value in it): its values are
    /// stored as text while every candidate type is tracked.
    /// </summary>
    public bool Searching { get; set; } = declared?.Type is null;

    public TypeCandidates Candidates { get; set; } = TypeCandidates.All;

    public bool SawValue { get; set; }

    public bool SawEmpty { get; set; }

    /// <summary>The type the values seen so far settle on.</summary>
    public ColumnType Resolved => Searching ? CsvValues.Resolve(Candidates, SawValue) : Type;

    public void Reset(bool searching)
    {
        Searching = searching && Inferred;
        Candidates = TypeCandidates.All;
        SawValue = false;
        SawEmpty = false;
    }
}

/// <summary>
/// One pass over the rows of an upload. It checks every row against the schema (strict RFC 4180 quoting,
/// declared types, keys and nullability), collects the first errors, tracks inferred types, and while the file
/// is clean stores each row's typed values in batches for the loading thread. Inferred types come from a sample
/// of the first rows; a later value that does not fit marks the speculation as failed, and the publisher then
/// re-reads the spooled file with the types of the whole file. Nothing reaches the database unless the pass
/// ends clean, because everything is loaded inside the publish's transaction.
/// </summary>
sealed class CsvPass(ColumnState[] columns, int maxErrors)
{
    const int MaxValueLength = 200;

    readonly List<RowError> _errors = [];

    public ColumnState[] Columns { get; } = columns;

    /// <summary>The columns' names in the database, in order.</summary>
    public IReadOnlyList<string> PhysicalNames { get; } = SqlIdentifiers.ColumnNames(columns.Select(c => c.Name).ToList());

    public long Rows { get; private set; }

    public long ErrorCount { get; private set; }

    /// <summary>True when an error is about the file's structure rather than a value.</summary>
    public bool Structural { get; private set; }

    /// <summary>True when a value did not fit the type inferred from the sample.</summary>
    public bool SpeculationFailed { get; private set; }

    bool Clean => ErrorCount == 0 && !SpeculationFailed;

    /// <summary>Reads and checks the header row, and pairs each column with its declaration.</summary>
    public static CsvPass Start(SepReader reader, IReadOnlyList<ColumnDefinition> declared, int maxErrors, int maxColumns)
    {
        if (!reader.MoveNext())
        {
            throw Empty("The file has no header row.");
        }

        // Checked on the header, before any table exists or any row is read, so that a file too wide for the
        // database is refused with the limit rather than failing in the engine.
        if (reader.Current.ColCount > maxColumns)
        {
            throw TooManyColumns(reader.Current.ColCount, maxColumns);
        }

        var names = ReadHeader(reader.Current);
        var declarations = declared.GroupBy(d => d.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        var missing = declarations.Keys.Where(name => !names.Contains(name, StringComparer.OrdinalIgnoreCase)).ToList();
        if (missing.Count > 0)
        {
            throw new PublishFailure(StatusCodes.Status422UnprocessableEntity, CatalogProblems.InvalidRows, "The file lacks declared columns",
                $"The dataset's schema declares {string.Join(", ", missing.Select(m => $"'{m}'"))}, which the file's header does not have.");
        }

        return new CsvPass(names.Select(n => new ColumnState(n, declarations.GetValueOrDefault(n))).ToArray(), maxErrors);
    }

    /// <summary>
    /// Reads up to <paramref name="maxRows"/> rows (or <paramref name="maxChars"/> characters) ahead and infers
    /// the type of each undeclared column from them. The rows are returned so that the pass checks them again.
    /// </summary>
    public List<SampledRow> Sample(SepReader reader, int maxRows, long maxChars)
    {
        var sample = new List<SampledRow>();
        long chars = 0;
        while (sample.Count < maxRows && chars < maxChars && reader.MoveNext())
        {
            var row = new ParsedRow(reader.Current);
            sample.Add(new SampledRow(row));
            chars += row.Whole.Length;
            if (row.Count != Columns.Length)
            {
                continue;
            }

            for (var i = 0; i < Columns.Length; i++)
            {
                var column = Columns[i];
                if (column.Inferred && column.Candidates != TypeCandidates.None
                    && CsvValues.TryUnquote(row.Field(i), out var value, out _) && !value.IsEmpty)
                {
                    column.SawValue = true;
                    column.Candidates = CsvValues.Narrow(column.Candidates, value);
                }
            }
        }

        foreach (var column in Columns.Where(c => c.Inferred))
        {
            // A column the sample left empty keeps searching; the others are typed from the sample.
            column.Type = column.Resolved;
            var searching = !column.SawValue;
            column.Reset(searching);
        }

        return sample;
    }

    /// <summary>
    /// Checks one data row and, while the file is clean and <paramref name="batch"/> is given, stores it.
    /// Returns false for a blank line, which is not a row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Check<TRow>(TRow row, RowBatch? batch, CancellationToken cancellationToken)
        where TRow : ICsvRow, allows ref struct
    {
        var count = row.Count;
        if (count != Columns.Length)
        {
            // A blank line (common at the very end of a file) is harmless.
            if (count == 1 && row.Field(0).IsEmpty)
            {
                return false;
            }

            Rows++;
            Structural = true;
            Fail(row.Line, null, row.Whole, $"the row has {count} fields, the header has {Columns.Length}");
            return true;
        }

        if ((++Rows & 0xFFFF) == 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        var store = batch is not null && Clean ? batch : null;
        var cell = store?.BeginRow(Rows) ?? 0;
        var mark = store?.ArenaMark ?? 0;
        for (var i = 0; i < Columns.Length; i++, cell++)
        {
            var column = Columns[i];
            if (!CsvValues.TryUnquote(row.Field(i), out var value, out var quoteError))
            {
                Structural = true;
                Fail(row.Line, column.Name, row.Field(i), quoteError!);
                continue;
            }

            if (value.IsEmpty)
            {
                column.SawEmpty = true;
                if (column.Declared is { } declared && (declared.Nullable == false || declared.Key))
                {
                    Fail(row.Line, column.Name, value, declared.Key ? "a key column may not be empty" : "the column is declared not nullable, and the value is empty");
                }

                store?.SetNull(cell);
                continue;
            }

            column.SawValue = true;
            if (column.Searching)
            {
                if (column.Candidates != TypeCandidates.None)
                {
                    column.Candidates = CsvValues.Narrow(column.Candidates, value);
                }

                store?.SetText(cell, value);
            }
            else if (!CsvValues.TryStore(column.Type, value, column.Inferred, store, cell))
            {
                if (column.Inferred)
                {
                    SpeculationFailed = true;
                }
                else
                {
                    Fail(row.Line, column.Name, value, $"expected {CsvValues.Expected(column.Type)}");
                }
            }
        }

        if (store is not null)
        {
            if (Clean)
            {
                store.CommitRow();
            }
            else
            {
                store.AbandonRow(mark);
            }
        }

        return true;
    }

    /// <summary>
    /// Ends the pass: throws the errors it found, and otherwise returns the columns as published. A searching
    /// column whose values turned out typed fails the speculation, as a value that did not fit would have.
    /// </summary>
    public IReadOnlyList<DatasetColumn> Finish()
    {
        if (Rows == 0)
        {
            throw Empty("The file has a header but no data rows.");
        }

        if (ErrorCount > 0)
        {
            throw new PublishFailure(
                Structural ? StatusCodes.Status400BadRequest : StatusCodes.Status422UnprocessableEntity,
                Structural ? CatalogProblems.MalformedCsv : CatalogProblems.InvalidRows,
                Structural ? "The file is not well-formed CSV" : "Rows do not match the schema",
                $"{ErrorCount:N0} error(s) in {Rows:N0} rows; the first {_errors.Count} are listed. Nothing was published.",
                _errors, ErrorCount);
        }

        if (Columns.Any(c => c.Searching && c.Resolved != ColumnType.String))
        {
            SpeculationFailed = true;
        }

        return Columns.Select((column, i) => new DatasetColumn(
            column.Name, PhysicalNames[i], column.Resolved,
            Nullable: column.Declared?.Nullable ?? column.SawEmpty,
            column.Declared?.Description, column.Declared?.Key ?? false, column.Declared?.Filterable ?? false,
            column.Declared?.Sensitivity ?? Sensitivity.Public)).ToList();
    }

    /// <summary>Prepares another pass over the whole file: every column fixed to <paramref name="types"/>, or searching again.</summary>
    public CsvPass Restart(IReadOnlyList<ColumnType>? types)
    {
        for (var i = 0; i < Columns.Length; i++)
        {
            Columns[i].Reset(searching: types is null);
            if (types is not null)
            {
                Columns[i].Type = types[i];
            }
        }

        return new CsvPass(Columns, maxErrors);
    }

    void Fail(long line, string? column, ReadOnlySpan<char> value, string reason)
    {
        ErrorCount++;
        if (_errors.Count < maxErrors)
        {
            _errors.Add(new RowError(Rows, line, column, value.Length > MaxValueLength ? value[..MaxValueLength].ToString() + "…" : value.ToString(), reason));
        }
    }

    public static SepReader OpenReader(Stream stream, char delimiter) =>
        Sep.New(delimiter).Reader(options => options with { HasHeader = false, DisableColCountCheck = true }).From(stream);

    public static SepReader OpenReader(string path, char delimiter) =>
        Sep.New(delimiter).Reader(options => options with { HasHeader = false, DisableColCountCheck = true }).FromFile(path);

    /// <summary>The refusal of a file with more than <paramref name="maxColumns"/> columns.</summary>
    public static PublishFailure TooManyColumns(int? columns, int maxColumns) =>
        new(StatusCodes.Status400BadRequest, CatalogProblems.TooManyColumns, "The file has too many columns",
            (columns is { } count ? $"The file's header has {count:N0} columns; " : "The file has more columns than the database can hold; ")
            + $"a dataset may have at most {maxColumns:N0} (the setting Catalog:MaxColumns). Nothing was published.");

    static List<string> ReadHeader(SepReader.Row header)
    {
        var names = new List<string>(header.ColCount);
        var seen = new HashSet<string>(header.ColCount, StringComparer.OrdinalIgnoreCase);
        var errors = new List<RowError>();
        for (var i = 0; i < header.ColCount; i++)
        {
            if (!CsvValues.TryUnquote(header[i].Span, out var value, out var reason))
            {
                errors.Add(new RowError(0, 1, null, header[i].ToString(), reason!));
                continue;
            }

            var name = value.Trim().ToString();
            if (name.Length == 0)
            {
                errors.Add(new RowError(0, 1, null, "", $"column {i + 1} of the header has no name"));
            }
            else if (!seen.Add(name))
            {
                errors.Add(new RowError(0, 1, name, name, "the header names this column twice"));
            }

            names.Add(name);
        }

        if (errors.Count > 0)
        {
            throw new PublishFailure(StatusCodes.Status400BadRequest, CatalogProblems.MalformedCsv, "The header row is not valid",
                "Every column needs a name of its own in the first row.", errors, errors.Count);
        }

        return names;
    }

    /// <summary>
    /// Picks the delimiter that occurs most often outside quotes in the header line: comma, semicolon (what
    /// Excel writes in locales with a decimal comma, including Vietnamese) or tab.
    /// </summary>
    public static char DetectDelimiter(ReadOnlySpan<char> start)
    {
        if (start.Trim().IsEmpty)
        {
            throw Empty("The file is empty.");
        }

        int commas = 0, semicolons = 0, tabs = 0;
        var quoted = false;
        foreach (var c in start)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && c is '\n' or '\r')
            {
                break;
            }
            else if (!quoted)
            {
                commas += c == ',' ? 1 : 0;
                semicolons += c == ';' ? 1 : 0;
                tabs += c == '\t' ? 1 : 0;
            }
        }

        return tabs > commas && tabs > semicolons ? '\t' : semicolons > commas ? ';' : ',';
    }

    static PublishFailure Empty(string detail) =>
        new(StatusCodes.Status400BadRequest, CatalogProblems.EmptyFile, "The file is empty", detail + " Publish a CSV with a header row and at least one data row.");
}
