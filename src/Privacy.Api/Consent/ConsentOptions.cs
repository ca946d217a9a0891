namespace Privacy.Api.Consent;

/// <summary>Consent settings.</summary>
public sealed class ConsentOptions
{
    public const string Section = "Consent";

    /// <summary>Months a decision holds before the banner asks again (default 12).</summary>
    public int ValidityMonths { get; set; } = 12;

    /// <summary>
    /// The single data key of deployments from before the keyring (base64, at least 32 bytes). When configured it stays active in every
    /// use under the id <c>legacy</c>, so what it protected still matches and decrypts; it is never current. The data keys are
    /// <c>DataKeys</c> (<see cref="Platform.Keys.DataKeyOptions"/>). Remove it once <c>GET /operations/data-keys</c> shows nothing
    /// refers to <c>legacy</c>.
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

    /// <summary>Events the consent log export reads per batch, one keyset range scan each (default 5,000).</summary>
    public int ExportBatchSize { get; set; } = 5000;

    /// <summary>The documented development key: in Development, without any data key configured, the legacy key of every use.</summary>
    internal const string DevelopmentProofHashKey = "ZGV2ZWxvcG1lbnQtb25seS1wcm9vZi1oYXNoLWtleS0wMDAwMDAwMA==";
}
