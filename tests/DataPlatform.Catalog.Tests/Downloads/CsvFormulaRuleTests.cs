using DataPlatform.Catalog.Downloads;

namespace DataPlatform.Catalog.Tests.Downloads;

/// <summary>
/// The rule behind the CSV download's formula neutralising, case by case, including the tab and carriage return
/// that a published CSV cannot easily carry through the publisher's parser.
/// </summary>
public sealed class CsvFormulaRuleTests
{
    [Theory]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1:A9)", "'@SUM(A1:A9)")]
    [InlineData("\t=1+1", "'\t=1+1")]
    [InlineData("\r=1+1", "'\r=1+1")]
    [InlineData("-", "'-")]
    [InlineData("+1e5", "'+1e5")]
    [InlineData("-12.", "'-12.")]
    [InlineData("-.5", "'-.5")]
    [InlineData("-12.5 ", "'-12.5 ")]
    public void A_text_cell_a_spreadsheet_would_run_gets_an_apostrophe(string cell, string written) =>
        Assert.Equal(written, CsvFormulas.Neutralise(cell));

    [Theory]
    [InlineData("-12.5")]
    [InlineData("+84912345678")]
    [InlineData("-0")]
    [InlineData("42")]
    [InlineData("Hà Nội")]
    [InlineData(" =1+1")]
    [InlineData("a=1")]
    [InlineData("'=1")]
    [InlineData("")]
    public void Plain_numbers_and_other_text_are_written_as_stored(string cell) =>
        Assert.Equal(cell, CsvFormulas.Neutralise(cell));
}
