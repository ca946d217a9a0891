namespace Privacy.Api.Consent;

/// <summary>Consent settings.</summary>
public sealed class ConsentOptions
{
    public const string Section = "Consent";

    /// <summary>Months a decision holds before the banner asks again (default 12).</summary>
    public int ValidityMonths { get; set; } = 12;

    /// <summary>
    /// Base64 key (at least 32 bytes) for the keyed hashes of IP addresses and user agents in consent
    /// proofs. Required in Production; elsewhere a documented development key is used.
    /// </summary>
    public string? ProofHashKey { get; set; }

    /// <summary>What a customer number looks like (default: 1–20 digits).</summary>
    public string CustomerNumberPattern { get; set; } = "^[0-9]{1,20}$";

    /// <summary>What a visitor id from the consent cookie looks like (default: 16–64 URL-safe characters).</summary>
    public string VisitorIdPattern { get; set; } = "^[A-Za-z0-9_-]{16,64}$";

    /// <summary>Largest notice text accepted, in characters (default 100,000).</summary>
    public int MaxNoticeTextLength { get; set; } = 100_000;

    /// <summary>
    /// Cache consent state in each replica, kept exact through PostgreSQL LISTEN/NOTIFY and a read barrier
    /// (default true). Turn off to send every state read to the database.
    /// </summary>
    public bool StateCache { get; set; } = true;

    /// <summary>Most subjects one replica keeps (default 200,000; the cache starts over when full).</summary>
    public int StateCacheSize { get; set; } = 200_000;

    internal const string DevelopmentProofHashKey = "ZGV2ZWxvcG1lbnQtb25seS1wcm9vZi1oYXNoLWtleS0wMDAwMDAwMA==";

    internal byte[] ProofKeyBytes() => Convert.FromBase64String(ProofHashKey ?? DevelopmentProofHashKey);
}
