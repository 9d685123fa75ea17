using DataPlatform.Contracts.Problems;

namespace DataPlatform.Contracts.Access;

/// <summary>
/// The RFC 9457 problem that tells a caller why they may not read a dataset: its status, <c>type</c>, <c>title</c>
/// and <c>detail</c>. Every refusal of a read is worded here, whichever door refuses it (the gateway from the
/// descriptor in Redis; the catalog's REST API, OData and GraphQL for calls that reach it directly or name their
/// datasets only in a body), so a caller reads the same sentence everywhere and a change of wording is made once.
/// Front doors only put it into their own format (problem details, an OData error, a GraphQL error).
/// </summary>
/// <param name="Status">The HTTP status: 401, 403 or 404.</param>
/// <param name="Type">The problem type URI.</param>
/// <param name="Title">The short, fixed summary of the problem type.</param>
/// <param name="Detail">What to tell the caller about this dataset.</param>
public sealed record DatasetAccessProblem(int Status, string Type, string Title, string Detail)
{
    /// <summary>The caller sent no API key, and the dataset is not open data (401).</summary>
    public static DatasetAccessProblem AuthenticationRequired(string datasetId) => new(
        401, ProblemTypes.AuthenticationRequired, "Authentication required",
        $"Dataset '{datasetId}' is available to registered developers. Send your API key as 'Authorization: ApiKey <key>', 'X-Api-Key: <key>' or the 'api_key' query parameter.");

    /// <summary>The caller's account does not subscribe to the data product of a paid dataset (403).</summary>
    public static DatasetAccessProblem SubscriptionRequired(string datasetId, string? productId) => new(
        403, GatewayProblemTypes.SubscriptionRequired, "Subscription required",
        $"Dataset '{datasetId}' belongs to the data product '{productId}', which your account does not subscribe to. Choose a plan that includes it.");

    /// <summary>
    /// The dataset does not exist for the caller (404): it was never published, it was deleted, or it is restricted
    /// and the caller lacks its grant. The three must read alike, so that nothing tells them apart.
    /// </summary>
    /// <remarks>The id is echoed cut to 120 characters, so that a made-up id of kilobytes is not sent back whole.</remarks>
    public static DatasetAccessProblem NotFound(string datasetId) => new(
        404, ProblemTypes.NotFound, "No such dataset", $"There is no dataset '{(datasetId.Length > 120 ? datasetId[..120] + "…" : datasetId)}'.");

    /// <summary>
    /// The problem for <paramref name="refusal"/> of <paramref name="dataset"/>, or <c>null</c> when the caller may
    /// read it. A deleted dataset, and a restricted one the caller may not read, look exactly like one that does not
    /// exist.
    /// </summary>
    public static DatasetAccessProblem? For(DatasetDescriptor dataset, ReadRefusal refusal) =>
        dataset.Deleted || (refusal != ReadRefusal.None && dataset.AccessLevel == AccessLevel.Restricted) ? NotFound(dataset.DatasetId)
        : refusal switch
        {
            ReadRefusal.ApiKeyRequired => AuthenticationRequired(dataset.DatasetId),
            ReadRefusal.EntitlementRequired => SubscriptionRequired(dataset.DatasetId, dataset.ProductId),
            _ => null,
        };
}
