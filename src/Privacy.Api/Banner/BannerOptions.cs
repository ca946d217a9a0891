namespace Privacy.Api.Banner;

/// <summary>The consent banner served to the website (<c>/banner/v1/consent.js</c>) and the limits on its public key.</summary>
public sealed class BannerOptions
{
    public const string Section = "Banner";

    /// <summary>
    /// Origins of the website pages that include the banner (e.g. <c>https://www.smultronsites.se</c>): the browser lets
    /// their scripts call the service (CORS). Empty by default: only pages served by the service itself (the demo) work.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>
    /// The purposes the banner asks about, in this order. Empty: <see cref="DefaultPurposes"/>, the three cookie purposes of
    /// the policy (a configured list replaces them; the binder would append to a list that started with them).
    /// </summary>
    public List<string> Purposes { get; set; } = [];

    public static readonly IReadOnlyList<string> DefaultPurposes = ["cookies.necessary", "cookies.preferences", "cookies.statistics"];

    /// <summary>What the banner asks about: the configured purposes, or the default ones.</summary>
    public IReadOnlyList<string> EffectivePurposes => Purposes.Count > 0 ? Purposes : DefaultPurposes;

    /// <summary>
    /// Where the banner links for the policy; <c>{lang}</c> and <c>{version}</c> are replaced. Default: the current policy
    /// text served by this service at <c>/banner/v1/policy?lang={lang}</c>.
    /// </summary>
    public string? PolicyUrl { get; set; }

    /// <summary>Requests one client address may make with a banner key per <see cref="RateLimitWindow"/> (default 120).</summary>
    public int RateLimitPermits { get; set; } = 120;

    /// <summary>The rate limit's window (default one minute).</summary>
    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Serve the demo page at <c>/banner/demo</c> (default: in Development only), including the banner with
    /// <see cref="DemoKey"/>.
    /// </summary>
    public bool? DemoPage { get; set; }

    /// <summary>The public banner key the demo page embeds (Development: <c>dev-banner-key</c>).</summary>
    public string? DemoKey { get; set; }
}
