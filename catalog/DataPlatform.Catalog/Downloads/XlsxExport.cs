using SpreadCheetah;
using SpreadCheetah.Styling;

namespace DataPlatform.Catalog.Downloads;

/// <summary>
/// A real Excel workbook through SpreadCheetah, which streams rows into the zip as they come instead of building
/// the workbook in memory. Numbers, booleans and dates are typed cells; the header is bold and frozen. A worksheet
/// holds at most 1,048,576 rows, so a longer export continues on "Data (2)", "Data (3)" … with the header repeated.
/// </summary>
static class XlsxExport
{
    public static async Task WriteAsync(ExportRows rows, Stream output, int rowsPerSheet, CancellationToken cancellationToken)
    {
        await using var spreadsheet = await Spreadsheet.CreateNewAsync(output, cancellationToken: cancellationToken);
        var bold = spreadsheet.AddStyle(new Style { Font = { Bold = true } });
        var date = spreadsheet.AddStyle(new Style { Format = NumberFormat.Custom("yyyy-mm-dd") });
        var dateTime = spreadsheet.AddStyle(new Style { Format = NumberFormat.Custom("yyyy-mm-dd hh:mm:ss") });
        var header = rows.Columns.Select(c => new Cell(c.Name, bold)).ToArray();
        var cells = new Cell[rows.Columns.Count];
        var sheet = 0;
        var inSheet = rowsPerSheet;

        await foreach (var row in rows.Rows.WithCancellation(cancellationToken))
        {
            if (inSheet == rowsPerSheet)
            {
                await StartSheetAsync(spreadsheet, ++sheet, header, cancellationToken);
                inSheet = 0;
            }

            for (var i = 0; i < row.Length; i++)
            {
                cells[i] = row[i] switch
                {
                    null => new Cell(),
                    string s => new Cell(s),
                    long l => new Cell(l),
                    decimal d => new Cell(d),
                    bool b => new Cell(b),
                    DateOnly d => new Cell(d.ToDateTime(TimeOnly.MinValue), date),
                    DateTime dt => new Cell(dt, dateTime),
                    var other => new Cell(ExportValues.Text(other)),
                };
            }

            await spreadsheet.AddRowAsync(cells, cancellationToken);
            inSheet++;
        }

        if (sheet == 0)
        {
            await StartSheetAsync(spreadsheet, 1, header, cancellationToken);
        }

        await spreadsheet.FinishAsync(cancellationToken);
    }

    static async Task StartSheetAsync(Spreadsheet spreadsheet, int number, Cell[] header, CancellationToken cancellationToken)
    {
        var options = new SpreadCheetah.Worksheets.WorksheetOptions { FrozenRows = 1 };
        await spreadsheet.StartWorksheetAsync(number == 1 ? "Data" : $"Data ({number})", options, cancellationToken);
        await spreadsheet.AddRowAsync(header, cancellationToken);
    }
}
