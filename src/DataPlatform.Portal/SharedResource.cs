namespace DataPlatform.Portal;

/// <summary>The key type of the portal's strings: <c>Resources/SharedResource.resx</c> (English) and <c>.vi.resx</c>.</summary>
internal sealed class SharedResource;
