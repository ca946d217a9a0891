using System.Net;
using System.Security.Cryptography;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Privacy.Api.Consent;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Idempotency;
using Privacy.Api.Platform.OpenApi;
using Privacy.Api.Platform.Security;
using Privacy.Api.Registry;

namespace Privacy.Api.Banner;

/// <summary>
/// The consent banner for the website (R2, R7): a dependency-free script and stylesheet, the configuration it reads with its
/// public key, the policy text it links to, and a demo page. The banner records decisions through the consent endpoints.
/// </summary>
public static class BannerApi
{
    public const string CorsPolicy = "banner";

    public static IServiceCollection AddBanner(this IServiceCollection services)
    {
        services.AddOptions<BannerOptions>().BindConfiguration(BannerOptions.Section)
            .Validate(o => o.RateLimitPermits >= 1, "Banner:RateLimitPermits must be at least 1.")
            .Validate(o => o.RateLimitWindow >= TimeSpan.FromSeconds(1), "Banner:RateLimitWindow must be at least one second.")
            .Validate(o => o.AllowedOrigins.All(IsOrigin), "Banner:AllowedOrigins must be origins such as https://www.example.se (scheme, host, port; no path).")
            .ValidateOnStart();
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<BannerOptions>>((cors, banner) => cors.AddPolicy(CorsPolicy, policy => policy
            .WithOrigins([.. banner.Value.AllowedOrigins])
            .WithMethods(HttpMethods.Get, HttpMethods.Post)
            .WithHeaders(ApiKeyOptions.HeaderName, "Content-Type", IdempotencyFilter.HeaderName, "Accept")
            .WithExposedHeaders("Retry-After") // a page on the website's origin reads when to try again after a 429
            .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
        services.AddRateLimiter(options =>
        {
            // R7: the banner's key is public, so each client address gets its own budget; server-side keys are not limited here.
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http => http.User.IsInRole(Roles.Banner)
                ? RateLimitPartition.GetFixedWindowLimiter(ClientAddress(http), _ =>
                {
                    var banner = http.RequestServices.GetRequiredService<IOptions<BannerOptions>>().Value;
                    return new FixedWindowRateLimiterOptions { PermitLimit = banner.RateLimitPermits, Window = banner.RateLimitWindow, QueueLimit = 0 };
                })
                : RateLimitPartition.GetNoLimiter(""));
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Detail = context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName is { } policy
                            ? "This client address has made too many requests to the privacy center for now; try again after Retry-After seconds."
                            : "This client address has used up the banner key's requests for now; try again after Retry-After seconds.",
                    },
                });
            };
        });
        return services;
    }

    /// <summary>One rate-limit budget per IPv4 address, and per /64 for IPv6 (one household or device network).</summary>
    internal static string ClientAddress(HttpContext http)
    {
        var address = http.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            address = new IPAddress(bytes);
        }

        return address.ToString();
    }

    public static IEndpointRouteBuilder MapBannerApi(this IEndpointRouteBuilder routes)
    {
        var banner = routes.MapGroup("/banner").WithTags("Banner");

        banner.MapGet("/v1/consent.js", Script)
            .WithName("GetBannerScript")
            .WithSummary("The consent banner script for the website's pages")
            .WithDescription("Include it with one tag: `<script src=\"…/banner/v1/consent.js\" data-key=\"PUBLIC_BANNER_KEY\" defer></script>`. " +
                             "No dependencies. It shows the banner in Swedish or English (from the page's `lang`), records the choice, keeps " +
                             "the visitor id in a first-party cookie, honours Global Privacy Control, and exposes `window.consent` " +
                             "(`has(purpose)`, `onChange(fn)`, `openSettings()`, the `consentchange` event). Public: no key needed to fetch it.")
            .Produces<string>(StatusCodes.Status200OK, "text/javascript")
            .AnswersWithoutDatabase()
            .AllowAnonymous();
        banner.MapGet("/v1/consent.css", Stylesheet)
            .WithName("GetBannerStylesheet")
            .WithSummary("The consent banner's stylesheet")
            .WithDescription("Loaded by the script itself; all rules are scoped to `.smc-` classes so the site's own styles are untouched.")
            .Produces<string>(StatusCodes.Status200OK, "text/css")
            .AnswersWithoutDatabase()
            .AllowAnonymous();
        banner.MapGet("/v1/config", GetConfig)
            .WithName("GetBannerConfig")
            .WithSummary("What the banner shows: the purposes it asks about and the current policy version")
            .WithDescription("Purpose names and descriptions in the asked language (`sv` or `en`), which purposes are always on, the " +
                             "policy version in effect and the link to its text, and how many months a consent holds. Per purpose, the " +
                             "registry's `dataSubjects` (whose consent it takes) and `consentChannels` (where it may be granted).")
            .ProducesValidationProblem()
            .RequireCors(CorsPolicy)
            .RequireAuthorization(Policies.ConsentRecorders);
        banner.MapGet("/v1/policy", GetPolicy)
            .WithName("GetBannerPolicyText")
            .WithSummary("The privacy policy in effect, as a page the banner links to")
            .WithDescription("The current version's text in Swedish or English. Public, like the policy itself.")
            .Produces<string>(StatusCodes.Status200OK, "text/html")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .AllowAnonymous();
        banner.MapGet("/demo", Demo)
            .WithName("GetBannerDemoPage")
            .WithSummary("A demo page with the banner (Development only)")
            .WithDescription("A page as the website would be, including the banner with the development banner key, a script that loads " +
                             "only with statistics consent, and a cookie-settings link. Answers 404 unless `Banner:DemoPage` is on " +
                             "(it is in Development).")
            .Produces<string>(StatusCodes.Status200OK, "text/html")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .AnswersWithoutDatabase()
            .AllowAnonymous();
        return routes;
    }

    public static IResult Script(HttpContext http) => BannerAssets.Serve(http, "consent.js", "text/javascript; charset=utf-8");

    public static IResult Stylesheet(HttpContext http) => BannerAssets.Serve(http, "consent.css", "text/css; charset=utf-8");

    public static async Task<Results<Ok<BannerConfigResponse>, ValidationProblem>> GetConfig(
        string? lang, HttpContext http, PrivacyDbContext db, TimeProvider time, IOptions<BannerOptions> options,
        IOptions<ConsentOptions> consent, CancellationToken cancellationToken)
    {
        if (ParseLanguage(lang) is not { } language)
        {
            return LanguageProblem();
        }

        var keys = options.Value.EffectivePurposes.ToList();
        var purposes = await db.Set<Purpose>().AsNoTracking()
            .Where(p => keys.Contains(p.Key) && p.RetiredAt == null && (p.LegalBasis == LegalBasis.Consent || p.AlwaysOn))
            .Select(p => new { p.Key, p.Name, p.Description, p.AlwaysOn, p.LimitedByGpc, p.DataSubjects, p.ConsentChannels })
            .ToListAsync(cancellationToken);
        var policy = await PolicyVersionApi.InEffect(db, time.GetUtcNow())
            .Select(v => new { v.Version, v.EffectiveFrom }).FirstOrDefaultAsync(cancellationToken); // not the texts: every page load asks
        var listed = purposes.OrderBy(p => keys.IndexOf(p.Key)).Select(p =>
        {
            var (name, description) = BannerTexts.Describe(p.Key, language, p.Name, p.Description);
            return new BannerPurposeResponse(p.Key, name, description, p.AlwaysOn, p.LimitedByGpc, p.DataSubjects, p.ConsentChannels);
        }).ToList();
        // Each page load asks; a minute in the browser's cache spares the service most of them without hiding a new policy for long.
        http.Response.Headers.CacheControl = "private, max-age=60";
        return TypedResults.Ok(new BannerConfigResponse(language, policy?.Version, policy?.EffectiveFrom,
            PolicyLink(http, options.Value, language, policy?.Version), consent.Value.ValidityMonths, listed));
    }

    public static async Task<Results<ContentHttpResult, ValidationProblem, ProblemHttpResult>> GetPolicy(
        string? lang, PrivacyDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        if (ParseLanguage(lang) is not { } language)
        {
            return LanguageProblem();
        }

        var policy = await PolicyVersionApi.InEffect(db, time.GetUtcNow()).FirstOrDefaultAsync(cancellationToken);
        if (policy is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No policy version is in effect yet.");
        }

        var (title, text, effective) = language == "sv"
            ? ("Integritetspolicy", policy.TextSv, $"Version {policy.Version}, gäller från {policy.EffectiveFrom:yyyy-MM-dd}")
            : ("Privacy policy", policy.TextEn, $"Version {policy.Version}, in effect from {policy.EffectiveFrom:yyyy-MM-dd}");
        var html = $"""
            <!doctype html>
            <html lang="{language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{title}</title></head>
            <body style="font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b">
            <main><h1>{title}</h1><p>{WebUtility.HtmlEncode(effective)}</p>
            <div style="white-space: pre-wrap">{WebUtility.HtmlEncode(text)}</div></main></body></html>
            """;
        return TypedResults.Content(html, "text/html; charset=utf-8");
    }

    public static Results<ContentHttpResult, ValidationProblem, ProblemHttpResult> Demo(
        string? lang, HttpContext http, IOptions<BannerOptions> options, IHostEnvironment environment)
    {
        var banner = options.Value;
        if (!(banner.DemoPage ?? environment.IsDevelopment()) || (banner.DemoKey ?? DevelopmentBannerKey(environment)) is not { } key)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: "The banner demo page is off (Banner:DemoPage; on in Development).");
        }

        if (ParseLanguage(lang) is not { } language)
        {
            return LanguageProblem();
        }

        var html = BannerAssets.Text("demo.html").Replace("{{lang}}", language, StringComparison.Ordinal)
            .Replace("{{key}}", WebUtility.HtmlEncode(key), StringComparison.Ordinal);
        return TypedResults.Content(html, "text/html; charset=utf-8");
    }

    private static string? DevelopmentBannerKey(IHostEnvironment environment) =>
        environment.IsDevelopment() ? DevelopmentApiKeys.Keys.First(k => k.Role == Roles.Banner).Key : null;

    /// <summary>sv (also for no value) or en; null for anything else.</summary>
    internal static string? ParseLanguage(string? lang) => lang switch
    {
        null or "" or "sv" => "sv",
        "en" => "en",
        _ => null,
    };

    internal static ValidationProblem LanguageProblem() =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["lang"] = ["'lang' must be sv or en."] });

    private static string PolicyLink(HttpContext http, BannerOptions options, string language, string? version) =>
        (options.PolicyUrl ?? $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/banner/v1/policy?lang={{lang}}")
        .Replace("{lang}", language, StringComparison.Ordinal)
        .Replace("{version}", Uri.EscapeDataString(version ?? ""), StringComparison.Ordinal);

    private static bool IsOrigin(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && uri.PathAndQuery == "/" && !value.EndsWith('/');
}

/// <summary>What the banner shows.</summary>
/// <param name="Language">The language of the names and descriptions: <c>sv</c> or <c>en</c>.</param>
/// <param name="PolicyVersion">The policy version in effect, which a decision records (null before any is published).</param>
/// <param name="PolicyUrl">Where the banner links for the policy text.</param>
/// <param name="ValidityMonths">Months a decision holds before the banner asks again.</param>
public sealed record BannerConfigResponse(
    string Language, string? PolicyVersion, DateTimeOffset? PolicyEffectiveFrom, string PolicyUrl, int ValidityMonths,
    IReadOnlyList<BannerPurposeResponse> Purposes);

/// <summary>A purpose the banner asks about; <c>alwaysOn</c> ones are listed but not asked.</summary>
/// <param name="DataSubjects">Whose consent to it is recorded (the registry's; the banner records visitors').</param>
/// <param name="ConsentChannels">The channels a consent to it may be given on (the registry's); the banner key records on <c>banner</c> only.</param>
public sealed record BannerPurposeResponse(string Key, string Name, string Description, bool AlwaysOn, bool LimitedByGpc,
    IReadOnlyList<DataSubjectType> DataSubjects, IReadOnlyList<ConsentChannel> ConsentChannels);

/// <summary>The files of the service's pages (the banner's, the privacy center's), embedded in it and served with a content hash as ETag.</summary>
internal static class BannerAssets
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string Text, string ETag)> Loaded = new();

    /// <param name="feature">The feature folder whose Assets hold the file.</param>
    public static string Text(string name, string feature = "Banner") => Load($"Privacy.Api.{feature}.Assets.{name}").Text;

    public static IResult Serve(HttpContext http, string name, string contentType, string feature = "Banner")
    {
        var (text, etag) = Load($"Privacy.Api.{feature}.Assets.{name}");
        http.Response.Headers.ETag = etag;
        http.Response.Headers.CacheControl = "public, max-age=300";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return http.Request.Headers.IfNoneMatch.ToString() == etag
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Text(text, contentType);
    }

    private static (string Text, string ETag) Load(string resource) => Loaded.GetOrAdd(resource, n =>
    {
        using var stream = typeof(BannerAssets).Assembly.GetManifestResourceStream(n)
                           ?? throw new InvalidOperationException($"The asset {n} is not embedded.");
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        return (text, $"\"{Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16]}\"");
    });
}
