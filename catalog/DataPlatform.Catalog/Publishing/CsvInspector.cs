using DataPlatform.Catalog.Datasets;
using DataPlatform.Catalog.Storage;
using nietras.SeparatedValues;

namespace DataPlatform.Catalog.Publishing;

/// <summary>What the first pass learnt about a file: its delimiter, its resolved schema and its row count.</summary>
sealed record CsvInspection(char Delimiter, IReadOnlyList<DatasetColumn> Columns, long RowCount);

/// <summary>
/// The first pass over a spooled upload: detects the delimiter, reads the header, infers the type of every
/// undeclared column, and validates every row against the declared schema, collecting the first errors.
/// Nothing is written to the database until this pass finds the file clean.
/// </summary>
static class CsvInspector
{
    const int MaxValueLength = 200;

    public static CsvInspection Inspect(string path, IReadOnlyList<ColumnDefinition> declared, int maxErrors, CancellationToken cancellationToken)
    {
        var delimiter = DetectDelimiter(path);
        using var reader = OpenReader(path, delimiter);
        using var rows = reader.GetEnumerator();
        if (!rows.MoveNext())
        {
            throw Empty("The file has no header row.");
        }

        var names = ReadHeader(rows.Current);
        var declarations = declared.GroupBy(d => d.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        var missing = declarations.Keys.Where(name => !names.Contains(name, StringComparer.OrdinalIgnoreCase)).ToList();
        if (missing.Count > 0)
        {
            throw new PublishFailure(StatusCodes.Status422UnprocessableEntity, CatalogProblems.InvalidRows, "The file lacks declared columns",
                $"The dataset's schema declares {string.Join(", ", missing.Select(m => $"'{m}'"))}, which the file's header does not have.");
        }

        var specs = names.Select(n => declarations.GetValueOrDefault(n)).ToArray();
        var candidates = Enumerable.Repeat(TypeCandidates.All, names.Count).ToArray();
        var sawValue = new bool[names.Count];
        var sawEmpty = new bool[names.Count];
        var errors = new List<RowError>();
        long errorCount = 0, row = 0;
        var structural = false;

        void Fail(long line, string? column, ReadOnlySpan<char> value, string reason)
        {
            errorCount++;
            if (errors.Count < maxErrors)
            {
                errors.Add(new RowError(row, line, column, value.Length > MaxValueLength ? value[..MaxValueLength].ToString() + "…" : value.ToString(), reason));
            }
        }

        while (rows.MoveNext())
        {
            row++;
            if ((row & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var current = rows.Current;
            var line = current.LineNumberFrom;
            if (current.ColCount != names.Count)
            {
                // A blank line at the very end of a file is common and harmless.
                if (current.ColCount == 1 && current[0].Span.IsEmpty)
                {
                    row--;
                    continue;
                }

                structural = true;
                Fail(line, null, current.Span, $"the row has {current.ColCount} fields, the header has {names.Count}");
                continue;
            }

            for (var i = 0; i < names.Count; i++)
            {
                if (!CsvValues.TryUnquote(current[i].Span, out var value, out var quoteError))
                {
                    structural = true;
                    Fail(line, names[i], current[i].Span, quoteError!);
                    continue;
                }

                var spec = specs[i];
                if (value.IsEmpty)
                {
                    sawEmpty[i] = true;
                    if (spec is not null && (spec.Nullable == false || spec.Key))
                    {
                        Fail(line, names[i], value, spec.Key ? "a key column may not be empty" : "the column is declared not nullable, and the value is empty");
                    }

                    continue;
                }

                sawValue[i] = true;
                if (spec?.Type is { } type)
                {
                    if (!IsValid(type, value))
                    {
                        Fail(line, names[i], value, $"expected {CsvValues.Expected(type)}");
                    }
                }
                else if (candidates[i] != TypeCandidates.None)
                {
                    candidates[i] = CsvValues.Narrow(candidates[i], value);
                }
            }
        }

        if (row == 0)
        {
            throw Empty("The file has a header but no data rows.");
        }

        if (errorCount > 0)
        {
            throw new PublishFailure(
                structural ? StatusCodes.Status400BadRequest : StatusCodes.Status422UnprocessableEntity,
                structural ? CatalogProblems.MalformedCsv : CatalogProblems.InvalidRows,
                structural ? "The file is not well-formed CSV" : "Rows do not match the schema",
                $"{errorCount:N0} error(s) in {row:N0} rows; the first {errors.Count} are listed. Nothing was published.",
                errors, errorCount);
        }

        var physical = SqlIdentifiers.ColumnNames(names);
        var columns = names.Select((name, i) =>
        {
            var spec = specs[i];
            var type = spec?.Type ?? CsvValues.Resolve(candidates[i], sawValue[i]);
            return new DatasetColumn(
                name, physical[i], type,
                Nullable: spec?.Nullable ?? sawEmpty[i],
                spec?.Description, spec?.Key ?? false, spec?.Filterable ?? false, spec?.Sensitivity ?? Sensitivity.Public);
        }).ToList();
        return new CsvInspection(delimiter, columns, row);
    }

    static bool IsValid(ColumnType type, ReadOnlySpan<char> text) => type switch
    {
        ColumnType.Integer => CsvValues.TryInt64(text, out _),
        ColumnType.Decimal => CsvValues.TryDecimal(text, out _),
        ColumnType.Boolean => CsvValues.TryBoolean(text, out _),
        ColumnType.Date => CsvValues.TryDate(text, out _),
        ColumnType.Datetime => CsvValues.TryDatetime(text, out _),
        _ => true,
    };

    public static SepReader OpenReader(string path, char delimiter) =>
        Sep.New(delimiter).Reader(options => options with { HasHeader = false, DisableColCountCheck = true }).FromFile(path);

    static List<string> ReadHeader(SepReader.Row header)
    {
        var names = new List<string>(header.ColCount);
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
            else if (names.Contains(name, StringComparer.OrdinalIgnoreCase))
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
    static char DetectDelimiter(string path)
    {
        using var file = new StreamReader(path, System.Text.Encoding.UTF8);
        var buffer = new char[1 << 16];
        var length = file.ReadBlock(buffer, 0, buffer.Length);
        if (length == 0 || buffer.AsSpan(0, length).Trim().IsEmpty)
        {
            throw Empty("The file is empty.");
        }

        int commas = 0, semicolons = 0, tabs = 0;
        var quoted = false;
        foreach (var c in buffer.AsSpan(0, length))
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
