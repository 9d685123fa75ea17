using System.Globalization;
using System.Text;

namespace DataPlatform.Catalog.SampleData;

/// <summary>A 2025 province: code with its leading zero, and its name.</summary>
sealed record Province(string Code, string Name);

/// <summary>
/// Writes the made-up home-affairs datasets. Every generator takes a seeded random source, so the same seed
/// always gives the same rows: tests and benchmarks can rely on them, and nobody mistakes them for statistics.
/// </summary>
static class SyntheticData
{
    public const int Seed = 20250701;

    static readonly string[] _agencies =
    [
        "Văn phòng UBND tỉnh", "Sở Nội vụ", "Sở Tài chính", "Sở Tư pháp", "Sở Giáo dục và Đào tạo",
        "Sở Y tế", "Sở Xây dựng", "Sở Nông nghiệp và Môi trường",
    ];

    static readonly string[] _surnames = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"];
    static readonly string[] _middleNames = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Thu", "Hoài"];
    static readonly string[] _givenNames = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Việt", "Yến"];
    static readonly string[] _grades = ["Chuyên viên", "Chuyên viên chính", "Chuyên viên cao cấp", "Cán sự", "Thanh tra viên"];

    /// <summary>Civil-servant headcount by province, agency and year.</summary>
    public static string Headcount(IReadOnlyList<Province> provinces)
    {
        var random = new Random(Seed);
        var csv = new StringBuilder("province_code,province_name,agency,year,headcount,female_share\n");
        foreach (var province in provinces)
        {
            foreach (var agency in _agencies)
            {
                var baseline = random.Next(40, 420);
                for (var year = 2021; year <= 2025; year++)
                {
                    // Headcounts shrink a little each year, as the staff-streamlining policy asks.
                    var headcount = (int)(baseline * (1 - 0.02 * (year - 2021)) + random.Next(-5, 6));
                    var female = Math.Round(0.35 + random.NextDouble() * 0.3, 3);
                    csv.Append(CultureInfo.InvariantCulture, $"{province.Code},{province.Name},{agency},{year},{headcount},{female:0.000}\n");
                }
            }
        }

        return csv.ToString();
    }

    /// <summary>PAR INDEX and SIPAS scores by province and year.</summary>
    public static string ParIndexSipas(IReadOnlyList<Province> provinces)
    {
        var random = new Random(Seed + 1);
        var csv = new StringBuilder("province_code,province_name,year,par_index,sipas\n");
        foreach (var province in provinces)
        {
            var par = 78 + random.NextDouble() * 8;
            var sipas = 80 + random.NextDouble() * 8;
            for (var year = 2020; year <= 2024; year++)
            {
                par = Math.Clamp(par + random.NextDouble() * 3 - 1, 60, 99);
                sipas = Math.Clamp(sipas + random.NextDouble() * 3 - 1, 60, 99);
                csv.Append(CultureInfo.InvariantCulture, $"{province.Code},{province.Name},{year},{par:0.00},{sipas:0.00}\n");
            }
        }

        return csv.ToString();
    }

    /// <summary>Online public services by province: how many procedures are fully or partly online.</summary>
    public static string OnlineServices(IReadOnlyList<Province> provinces)
    {
        var random = new Random(Seed + 2);
        var csv = new StringBuilder("province_code,province_name,total_procedures,full_online,partial_online,online_share,reported_on\n");
        foreach (var province in provinces)
        {
            var total = random.Next(1500, 2100);
            var full = random.Next(total / 3, total * 2 / 3);
            var partial = random.Next(0, total - full);
            var share = (double)(full + partial) / total;
            csv.Append(CultureInfo.InvariantCulture, $"{province.Code},{province.Name},{total},{full},{partial},{share:0.000},2025-09-30\n");
        }

        return csv.ToString();
    }

    /// <summary>The holdings of provincial historical archives.</summary>
    public static string ArchiveHoldings(IReadOnlyList<Province> provinces)
    {
        var random = new Random(Seed + 3);
        var csv = new StringBuilder("archive_id,archive_name,province_code,fonds,shelf_metres,digitised_pages,last_audit\n");
        var n = 0;
        foreach (var province in provinces)
        {
            n++;
            var audit = new DateOnly(2023, 1, 1).AddDays(random.Next(0, 900));
            csv.Append(CultureInfo.InvariantCulture,
                $"LT-{n:000},\"Lưu trữ lịch sử {province.Name}\",{province.Code},{random.Next(40, 400)},{random.Next(800, 9000) + random.Next(0, 10) / 10.0:0.0},{random.Next(10_000, 4_000_000)},{audit:yyyy-MM-dd}\n");
        }

        return csv.ToString();
    }

    /// <summary>Made-up personnel transfer records: names, birth dates and a health note, all invented.</summary>
    public static string TransferRecords(IReadOnlyList<Province> provinces, int count = 300)
    {
        var random = new Random(Seed + 4);
        var csv = new StringBuilder("record_id,full_name,date_of_birth,gender,province_code,agency,grade,transfer_date,health_note\n");
        for (var i = 1; i <= count; i++)
        {
            var female = random.Next(2) == 0;
            var middle = female ? "Thị" : _middleNames[random.Next(_middleNames.Length)];
            var name = $"{_surnames[random.Next(_surnames.Length)]} {middle} {_givenNames[random.Next(_givenNames.Length)]}";
            var born = new DateOnly(1965, 1, 1).AddDays(random.Next(0, 13_000));
            var transfer = new DateOnly(2025, 7, 1).AddDays(random.Next(0, 150));
            var health = random.Next(10) == 0 ? "Đang điều trị dài ngày" : "";
            csv.Append(CultureInfo.InvariantCulture,
                $"HS-{i:00000},{name},{born:yyyy-MM-dd},{(female ? "Nữ" : "Nam")},{provinces[random.Next(provinces.Count)].Code},{_agencies[random.Next(_agencies.Length)]},{_grades[random.Next(_grades.Length)]},{transfer:yyyy-MM-dd},{health}\n");
        }

        return csv.ToString();
    }

    /// <summary>
    /// Writes a benchmark file of <paramref name="rows"/> rows (about 150 bytes each) to <paramref name="output"/>,
    /// streaming, so 10 million rows need no more memory than ten.
    /// </summary>
    public static void WriteBenchmarkCsv(TextWriter output, IReadOnlyList<Province> provinces, long rows)
    {
        var random = new Random(Seed + 5);
        output.Write("record_id,province_code,province_name,agency,year,headcount,female_share,updated_at,note\n");
        for (long i = 1; i <= rows; i++)
        {
            var province = provinces[random.Next(provinces.Count)];
            output.Write(string.Create(CultureInfo.InvariantCulture,
                $"{i},{province.Code},{province.Name},{_agencies[random.Next(_agencies.Length)]},{2015 + random.Next(11)},{random.Next(5, 900)},{random.NextDouble():0.000},2025-{1 + random.Next(12):00}-{1 + random.Next(28):00}T08:{random.Next(60):00}:00Z,\"Ghi chú số {i}, đã kiểm tra\"\n"));
        }
    }
}
