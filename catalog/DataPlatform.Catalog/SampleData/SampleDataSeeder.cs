using System.Text;
using DataPlatform.Catalog.Datasets;
using DataPlatform.Catalog.Descriptors;
using DataPlatform.Catalog.Publishing;
using DataPlatform.Catalog.Storage;
using DataPlatform.Contracts.Access;
using nietras.SeparatedValues;

namespace DataPlatform.Catalog.SampleData;

/// <summary>
/// Loads the sample datasets through the same publishing path as any upload: the real 2025 administrative
/// units, and made-up home-affairs datasets that say plainly that they are made up.
/// </summary>
public sealed partial class SampleDataSeeder(
    DatasetStore store, DatasetPublisher publisher, DescriptorWriter descriptors, ILogger<SampleDataSeeder> logger)
{
    const string SeededSetting = "sample-data-seeded";
    const string AdminUnitsSource =
        "thanglequoc/vietnamese-provinces-database (https://github.com/thanglequoc/vietnamese-provinces-database), "
        + "MIT License (© 2021 Thang Le Quoc), release v4.2.0 (commit cd580632); built from the General Statistics Office's unit-code service.";

    static readonly Licence _mit = new("MIT", "https://opensource.org/licenses/MIT");
    static readonly Licence _ccBy = new("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/");
    static readonly Publisher _localGovernment = new("vu-chinh-quyen-dia-phuong", "Vụ Chính quyền địa phương", "Department of Local Government", "https://moha.gov.vn");
    static readonly Publisher _personnel = new("vu-to-chuc-can-bo", "Vụ Tổ chức cán bộ", "Department of Personnel and Organisation", "https://moha.gov.vn");
    static readonly Publisher _reform = new("vu-cai-cach-hanh-chinh", "Vụ Cải cách hành chính", "Department of Administrative Reform", "https://moha.gov.vn");
    static readonly Publisher _archives = new("cuc-van-thu-luu-tru", "Cục Văn thư và Lưu trữ nhà nước", "State Records and Archives Department", "https://archives.gov.vn");
    static readonly ContactPoint _contact = new("Trung tâm Thông tin, Bộ Nội vụ", "dulieu@moha.gov.vn");
    const string SyntheticNote =
        "Dữ liệu giả lập, do máy sinh ngẫu nhiên (có hạt giống cố định) để minh hoạ nền tảng; không phải số liệu thống kê thật. "
        + "Made-up data, generated at random from a fixed seed to demonstrate the platform; these are not real statistics.";

    /// <summary>Loads every sample dataset that is missing. With <paramref name="onlyIfEmpty"/>, does nothing after the first time.</summary>
    public async Task<int> SeedAsync(bool onlyIfEmpty, CancellationToken cancellationToken)
    {
        if (onlyIfEmpty && await IsSeededAsync(cancellationToken))
        {
            return 0;
        }

        var provinces = LoadProvinces();
        var loaded = 0;
        foreach (var (id, metadata, csv) in Samples(provinces))
        {
            var existing = await store.FindAsync(id, cancellationToken);
            if (existing is { CurrentVersion: > 0 })
            {
                continue;
            }

            var (dataset, _) = await store.UpsertMetadataAsync(id, metadata, cancellationToken);
            await descriptors.WriteAsync(dataset, cancellationToken);
            await using var stream = csv();
            var result = await publisher.PublishAsync(id, stream, "sample-data", cancellationToken);
            LogSeeded(logger, id, result.RowCount);
            loaded++;
        }

        await MarkSeededAsync(cancellationToken);
        return loaded;
    }

    static IEnumerable<(string Id, DatasetMetadata Metadata, Func<Stream> Csv)> Samples(IReadOnlyList<Province> provinces)
    {
        static Stream Text(string csv) => new MemoryStream(Encoding.UTF8.GetBytes(csv));
        static ColumnDefinition Col(string name, string vi, string en, ColumnType? type = null, bool key = false, bool filterable = false, Sensitivity sensitivity = Sensitivity.Public) =>
            new(name, type, null, new LocalizedText(vi, en), key, filterable, sensitivity);

        yield return ("don-vi-hanh-chinh-cap-tinh-2025", new DatasetMetadata(
            new LocalizedText("Đơn vị hành chính cấp tỉnh 2025", "Provincial administrative units 2025"),
            new LocalizedText(
                "34 đơn vị hành chính cấp tỉnh (27 tỉnh, 7 thành phố trực thuộc trung ương, gồm Đồng Nai từ 30/4/2026) theo mô hình chính quyền địa phương hai cấp từ 1/7/2025, mã theo Quyết định 19/2025/QĐ-TTg.",
                "The 34 provincial units of the two-tier local government system in force since 1 July 2025, with codes from Decision 19/2025/QD-TTg."),
            _localGovernment, _contact, ["Hành chính", "Địa giới hành chính"], ["tỉnh", "thành phố", "mã đơn vị hành chính", "sáp nhập 2025", "Hà Nội"],
            _mit, AccessLevel.Open, null, "IRREG", new TemporalCoverage(new DateOnly(2025, 7, 1), null), "Việt Nam", AdminUnitsSource, false, null,
            [
                Col("code", "Mã tỉnh (giữ số 0 ở đầu)", "Province code (keeps its leading zero)", ColumnType.String, key: true),
                Col("name", "Tên", "Name", filterable: true),
                Col("name_en", "Tên tiếng Anh", "English name"),
                Col("full_name", "Tên đầy đủ", "Full name"),
                Col("unit_type", "Loại đơn vị", "Unit type", filterable: true),
            ]), () => Resource("vn-provinces-2025.csv"));

        yield return ("don-vi-hanh-chinh-cap-xa-2025", new DatasetMetadata(
            new LocalizedText("Đơn vị hành chính cấp xã 2025", "Commune-level administrative units 2025"),
            new LocalizedText(
                "3.321 đơn vị hành chính cấp xã (xã, phường, đặc khu) theo mô hình hai cấp từ 1/7/2025, kèm mã tỉnh trực thuộc.",
                "The 3,321 commune-level units (communes, wards and special zones) of the two-tier system since 1 July 2025, with their province codes."),
            _localGovernment, _contact, ["Hành chính", "Địa giới hành chính"], ["xã", "phường", "đặc khu", "mã đơn vị hành chính", "sáp nhập 2025"],
            _mit, AccessLevel.Open, null, "IRREG", new TemporalCoverage(new DateOnly(2025, 7, 1), null), "Việt Nam", AdminUnitsSource, false, null,
            [
                Col("code", "Mã xã (giữ số 0 ở đầu)", "Commune code (keeps its leading zeros)", ColumnType.String, key: true),
                Col("name", "Tên", "Name", filterable: true),
                Col("full_name", "Tên đầy đủ", "Full name"),
                Col("unit_type", "Loại đơn vị", "Unit type", filterable: true),
                Col("province_code", "Mã tỉnh", "Province code", ColumnType.String, filterable: true),
            ]), () => Resource("vn-wards-2025.csv"));

        yield return ("bien-che-cong-chuc-theo-tinh", new DatasetMetadata(
            new LocalizedText("Biên chế công chức theo tỉnh, cơ quan và năm (giả lập)", "Civil-servant headcount by province, agency and year (synthetic)"),
            new LocalizedText("Số biên chế công chức và tỷ lệ nữ của các sở, ngành cấp tỉnh, 2021–2025. " + SyntheticNote,
                "Civil-servant headcount and share of women in provincial agencies, 2021–2025. Synthetic data."),
            _personnel, _contact, ["Tổ chức bộ máy", "Công chức"], ["biên chế", "công chức", "tinh giản biên chế", "nhân sự"],
            _ccBy, AccessLevel.Paid, "hr-analytics", "ANNUAL", new TemporalCoverage(new DateOnly(2021, 1, 1), new DateOnly(2025, 12, 31)), "Việt Nam", "Giả lập / synthetic", true, SyntheticNote,
            [
                Col("province_code", "Mã tỉnh", "Province code", ColumnType.String, key: true, filterable: true),
                Col("province_name", "Tên tỉnh", "Province"),
                Col("agency", "Cơ quan", "Agency", key: true, filterable: true),
                Col("year", "Năm", "Year", ColumnType.Integer, key: true, filterable: true),
                Col("headcount", "Số biên chế", "Headcount", ColumnType.Integer),
                Col("female_share", "Tỷ lệ nữ", "Share of women", ColumnType.Decimal),
            ]), () => Text(SyntheticData.Headcount(provinces)));

        yield return ("chi-so-par-index-sipas", new DatasetMetadata(
            new LocalizedText("Chỉ số PAR INDEX và SIPAS theo tỉnh (giả lập)", "PAR INDEX and SIPAS scores by province (synthetic)"),
            new LocalizedText("Chỉ số cải cách hành chính (PAR INDEX) và chỉ số hài lòng về sự phục vụ hành chính (SIPAS) của các tỉnh, 2020–2024. " + SyntheticNote,
                "Public administration reform index (PAR INDEX) and satisfaction index (SIPAS) by province, 2020–2024. Synthetic data."),
            _reform, _contact, ["Cải cách hành chính"], ["PAR INDEX", "SIPAS", "cải cách hành chính", "sự hài lòng"],
            _ccBy, AccessLevel.Open, null, "ANNUAL", new TemporalCoverage(new DateOnly(2020, 1, 1), new DateOnly(2024, 12, 31)), "Việt Nam", "Giả lập / synthetic", true, SyntheticNote,
            [
                Col("province_code", "Mã tỉnh", "Province code", ColumnType.String, key: true, filterable: true),
                Col("province_name", "Tên tỉnh", "Province"),
                Col("year", "Năm", "Year", ColumnType.Integer, key: true, filterable: true),
                Col("par_index", "Điểm PAR INDEX", "PAR INDEX score", ColumnType.Decimal),
                Col("sipas", "Điểm SIPAS", "SIPAS score", ColumnType.Decimal),
            ]), () => Text(SyntheticData.ParIndexSipas(provinces)));

        yield return ("dich-vu-cong-truc-tuyen-theo-tinh", new DatasetMetadata(
            new LocalizedText("Mức độ cung cấp dịch vụ công trực tuyến theo tỉnh (giả lập)", "Online public-service levels by province (synthetic)"),
            new LocalizedText("Số thủ tục hành chính, số dịch vụ công trực tuyến toàn trình và một phần của từng tỉnh. " + SyntheticNote,
                "Administrative procedures per province, and how many are fully or partly online. Synthetic data."),
            _reform, _contact, ["Cải cách hành chính", "Chuyển đổi số"], ["dịch vụ công", "trực tuyến toàn trình", "thủ tục hành chính"],
            _ccBy, AccessLevel.Open, null, "QUARTERLY", new TemporalCoverage(new DateOnly(2025, 7, 1), new DateOnly(2025, 9, 30)), "Việt Nam", "Giả lập / synthetic", true, SyntheticNote,
            [
                Col("province_code", "Mã tỉnh", "Province code", ColumnType.String, key: true),
                Col("province_name", "Tên tỉnh", "Province"),
                Col("total_procedures", "Tổng số thủ tục", "Procedures", ColumnType.Integer),
                Col("full_online", "Trực tuyến toàn trình", "Fully online", ColumnType.Integer),
                Col("partial_online", "Trực tuyến một phần", "Partly online", ColumnType.Integer),
                Col("online_share", "Tỷ lệ trực tuyến", "Online share", ColumnType.Decimal),
                Col("reported_on", "Ngày báo cáo", "Reported on", ColumnType.Date),
            ]), () => Text(SyntheticData.OnlineServices(provinces)));

        yield return ("kho-luu-tru-lich-su", new DatasetMetadata(
            new LocalizedText("Tài liệu lưu trữ lịch sử cấp tỉnh (giả lập)", "Provincial historical archive holdings (synthetic)"),
            new LocalizedText("Số phông, mét giá tài liệu và số trang đã số hoá của lưu trữ lịch sử các tỉnh. " + SyntheticNote,
                "Fonds, shelf metres and digitised pages held by each provincial historical archive. Synthetic data."),
            _archives, _contact, ["Văn thư lưu trữ"], ["lưu trữ", "số hoá", "phông lưu trữ"],
            _ccBy, AccessLevel.Open, null, "ANNUAL", null, "Việt Nam", "Giả lập / synthetic", true, SyntheticNote,
            [
                Col("archive_id", "Mã lưu trữ", "Archive id", key: true),
                Col("archive_name", "Tên lưu trữ", "Archive"),
                Col("province_code", "Mã tỉnh", "Province code", ColumnType.String, filterable: true),
                Col("fonds", "Số phông", "Fonds", ColumnType.Integer),
                Col("shelf_metres", "Mét giá tài liệu", "Shelf metres", ColumnType.Decimal),
                Col("digitised_pages", "Số trang đã số hoá", "Digitised pages", ColumnType.Integer),
                Col("last_audit", "Lần kiểm tra gần nhất", "Last audit", ColumnType.Date),
            ]), () => Text(SyntheticData.ArchiveHoldings(provinces)));

        yield return ("ho-so-dieu-dong-can-bo", new DatasetMetadata(
            new LocalizedText("Hồ sơ điều động cán bộ sau sắp xếp (giả lập, hạn chế)", "Staff transfer records after the 2025 reorganisation (synthetic, restricted)"),
            new LocalizedText("Hồ sơ điều động công chức sau sắp xếp đơn vị hành chính, có dữ liệu cá nhân (Nghị định 13/2023/NĐ-CP); chỉ cơ quan được cấp quyền mới xem được. " + SyntheticNote,
                "Civil-servant transfer records after the 2025 reorganisation, with personal data (Decree 13/2023); only granted agencies can see it. Synthetic data: every person is invented."),
            _personnel, _contact, ["Tổ chức bộ máy", "Công chức"], ["điều động", "hồ sơ cán bộ", "dữ liệu cá nhân"],
            _ccBy, AccessLevel.Restricted, null, "CONT", new TemporalCoverage(new DateOnly(2025, 7, 1), null), "Việt Nam", "Giả lập / synthetic", true, SyntheticNote,
            [
                Col("record_id", "Mã hồ sơ", "Record id", key: true),
                Col("full_name", "Họ và tên", "Full name", sensitivity: Sensitivity.Personal),
                Col("date_of_birth", "Ngày sinh", "Date of birth", ColumnType.Date, sensitivity: Sensitivity.Personal),
                Col("gender", "Giới tính", "Gender", sensitivity: Sensitivity.Personal),
                Col("province_code", "Mã tỉnh", "Province code", ColumnType.String, filterable: true),
                Col("agency", "Cơ quan", "Agency", filterable: true),
                Col("grade", "Ngạch", "Grade"),
                Col("transfer_date", "Ngày điều động", "Transfer date", ColumnType.Date),
                Col("health_note", "Ghi chú sức khoẻ", "Health note", ColumnType.String, sensitivity: Sensitivity.Sensitive),
            ]), () => Text(SyntheticData.TransferRecords(provinces)));
    }

    internal static IReadOnlyList<Province> LoadProvinces()
    {
        using var reader = Sep.Reader().From(Resource("vn-provinces-2025.csv"));
        var provinces = new List<Province>();
        foreach (var row in reader)
        {
            provinces.Add(new Province(row["code"].ToString(), row["name"].ToString()));
        }

        return provinces;
    }

    static Stream Resource(string name) =>
        typeof(SampleDataSeeder).Assembly.GetManifestResourceStream("SampleData." + name)
        ?? throw new InvalidOperationException($"The sample file {name} is missing from the assembly.");

    async Task<bool> IsSeededAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.Database.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command("SELECT COUNT(*) FROM catalog_settings WHERE name = @name").With("name", SeededSetting);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken)) > 0;
    }

    async Task MarkSeededAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.Database.OpenConnectionAsync(cancellationToken);
        await connection.RunAsync("DELETE FROM catalog_settings WHERE name = @name", null, cancellationToken, ("name", SeededSetting));
        await connection.RunAsync("INSERT INTO catalog_settings (name, value) VALUES (@name, @value)", null, cancellationToken,
            ("name", SeededSetting), ("value", Sql.Time(DateTimeOffset.UtcNow)));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded sample dataset {DatasetId} with {Rows} rows")]
    static partial void LogSeeded(ILogger logger, string datasetId, long rows);
}
