using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using OpenQA.Selenium;
using OpenQA.Selenium.Interactions;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Privacy.Api.Tests.Banner;

/// <summary>
/// The consent banner in a real headless Chromium against the real service on a loopback port: what a visitor sees and
/// does, and what the database then holds. Screenshots are saved to artifacts/screenshots.
/// </summary>
public sealed class BannerBrowserTests(BrowsablePrivacyApiFactory factory, ITestOutputHelper output)
    : BannerPage(factory, output), IClassFixture<BrowsablePrivacyApiFactory>
{
    [Fact]
    public void AFirstVisitShowsTheBannerInThePageLanguageWithThePurposesAndThePolicyLink()
    {
        Open("sv");

        var banner = Banner();
        Assert.Equal("dialog", banner.GetAttribute("role"));
        Assert.Equal("Vi använder kakor", banner.FindElement(By.Id(banner.GetAttribute("aria-labelledby")!)).Text);
        Assert.Contains("Nödvändiga kakor", banner.Text);
        Assert.Contains("Inställningar", banner.Text);
        Assert.Contains("Statistik", banner.Text);
        var policy = banner.FindElement(By.CssSelector("a.smc-link"));
        Assert.Contains("2022-02-08", policy.Text);
        Assert.Equal($"{Factory.BaseUrl}/banner/v1/policy?lang=sv", policy.GetAttribute("href"));
        Assert.Equal(["Godkänn alla", "Avvisa alla", "Välj själv"], banner.FindElements(By.CssSelector("button")).Select(b => b.Text).ToArray());
        Assert.Equal("accept-all", ActiveAction()); // focus moves into the banner, so a keyboard user starts there
        Assert.Null(VisitorId()); // nothing is stored before the visitor chooses
        Assert.False(Has("cookies.statistics"));
        Assert.True(Has("cookies.necessary"));
        Assert.Equal("not loaded", Page.FindElement(By.Id("statistics")).Text);
        Saved("banner-first-visit-sv");
    }

    [Fact]
    public async Task AcceptingAllRecordsTheConsentInTheDatabaseAndTheBannerStaysAwayAfterAReload()
    {
        Open("sv");

        Banner().FindElement(By.CssSelector("[data-action='accept-all']")).Click();

        Browser.Until(_ => !BannerShown(), "the banner to close");
        var visitor = VisitorId();
        Assert.Matches("^[0-9a-f]{32}$", visitor);
        Assert.Equal("cookies.necessary=true cookies.preferences=true cookies.statistics=true", await LatestChoices(visitor!, "Decision"));
        Assert.Equal(1, await Factory.ScalarAsync("""
            SELECT count(*) FROM privacy.consent_events e JOIN privacy.consent_proofs p ON p.event_id = e.id
            WHERE e.subject_id = $1 AND e.channel = 'Banner' AND e.language = 'sv' AND e.recorded_by = 'test-banner'
              AND e.notice_id = 'banner-v1-sv' AND p.ip_address = '127.0.0.1'::inet AND p.user_agent LIKE '%Chrome%'
            """, visitor!));
        Assert.True(Has("cookies.statistics"));
        Assert.Equal("loaded", Page.FindElement(By.Id("statistics")).Text); // the gated script ran once allowed

        Page.Navigate().Refresh();
        Browser.Until(d => d.FindElement(By.CssSelector("html[data-consent-ready='true']")), "the banner to read the consent");

        Assert.False(BannerShown());
        Assert.Equal(visitor, VisitorId());
        Assert.True(Has("cookies.statistics"));
        Assert.Equal("loaded", Page.FindElement(By.Id("statistics")).Text);
        Assert.Equal(1, await Factory.ScalarAsync("SELECT count(*) FROM privacy.consent_events WHERE subject_id = $1", visitor!));
        Saved("banner-after-accept-reload");
    }

    [Fact]
    public async Task CookieSettingsWithdrawTheConsentAndTheSiteStopsUsingIt()
    {
        Open("en");
        Banner().FindElement(By.CssSelector("[data-action='accept-all']")).Click();
        Browser.Until(_ => !BannerShown(), "the banner to close");
        var visitor = VisitorId()!;
        Browser.Script("document.addEventListener('consentchange', function () { window.__changes = (window.__changes || 0) + 1; });");

        Page.FindElement(By.Id("cookie-settings")).Click();
        var dialog = Browser.Until(d => d.FindElement(By.CssSelector(".smc-dialog")), "the settings dialog");
        Assert.Equal("true", dialog.GetAttribute("aria-modal"));
        Assert.True(dialog.FindElement(By.Name("cookies.statistics")).Selected);
        Assert.False(dialog.FindElement(By.Name("cookies.necessary")).Enabled);
        Saved("banner-settings-en");
        dialog.FindElement(By.CssSelector("[data-action='withdraw']")).Click();

        Browser.Until(_ => Page.FindElements(By.CssSelector(".smc-dialog")).Count == 0, "the dialog to close");
        Assert.Equal("cookies.preferences=false cookies.statistics=false", await LatestChoices(visitor, "Withdrawal"));
        Assert.False(Has("cookies.statistics"));
        Assert.Equal(1L, Browser.Script("return window.__changes || 0;")); // the page's listeners heard of the withdrawal
        var state = await Factory.Client(Roles.Ops).GetFromJsonAsync<System.Text.Json.JsonElement>($"/consent/subjects/visitor/{visitor}");
        Assert.All(state.GetProperty("purposes").EnumerateArray().Where(p => p.GetProperty("purpose").GetString() == "cookies.statistics"),
            p => Assert.True(p.GetProperty("withdrawn").GetBoolean()));

        Page.Navigate().Refresh();
        Browser.Until(d => d.FindElement(By.CssSelector("html[data-consent-ready='true']")), "the banner to read the consent");
        Assert.False(BannerShown()); // a withdrawal is an answer: the banner does not nag
        Assert.Equal("not loaded", Page.FindElement(By.Id("statistics")).Text);
    }

    [Fact]
    public async Task TheBannerFollowsThePageLanguageAndRecordsTheLanguageShown()
    {
        Open("sv");
        Assert.Contains("Vi använder kakor", Banner().Text);

        Page.FindElement(By.Id("lang-en")).Click();

        Browser.Until(d => d.FindElement(By.CssSelector(".smc-banner[lang='en']")), "the banner in English");
        var banner = Banner();
        Assert.Contains("We use cookies", banner.Text);
        Assert.Contains("Statistics", banner.Text);
        Assert.Equal(["Accept all", "Reject all", "Choose"], banner.FindElements(By.CssSelector("button")).Select(b => b.Text).ToArray());
        Assert.Equal($"{Factory.BaseUrl}/banner/v1/policy?lang=en", banner.FindElement(By.CssSelector("a.smc-link")).GetAttribute("href"));
        Saved("banner-first-visit-en");

        banner.FindElement(By.CssSelector("[data-action='reject-all']")).Click();
        Browser.Until(_ => !BannerShown(), "the banner to close");
        Assert.Equal("cookies.necessary=true cookies.preferences=false cookies.statistics=false", await LatestChoices(VisitorId()!, "Decision"));
        Assert.Equal(1, await Factory.ScalarAsync(
            "SELECT count(*) FROM privacy.consent_events WHERE subject_id = $1 AND language = 'en' AND notice_id = 'banner-v1-en'", VisitorId()!));
    }

    [Fact]
    public async Task AKeyboardAloneCanChooseSaveAndLeaveTheDialog()
    {
        Open("en");
        Banner();
        Assert.Equal("accept-all", ActiveAction());

        Press(Keys.Tab);
        Assert.Equal("reject-all", ActiveAction());
        Press(Keys.Tab);
        Assert.Equal("choose", ActiveAction());
        Press(Keys.Enter);
        Browser.Until(d => d.FindElement(By.CssSelector(".smc-dialog")), "the settings dialog");
        Assert.Equal("cookies.preferences", ActiveAction()); // the first choice that can change (necessary is always on)
        Press(Keys.Space);
        Press(Keys.Tab);
        Assert.Equal("cookies.statistics", ActiveAction());
        PressShiftTab();
        PressShiftTab(); // before the first control: focus wraps to the last, it never leaves the dialog
        Assert.Equal("close", ActiveAction());
        Press(Keys.Escape);
        Browser.Until(_ => Page.FindElements(By.CssSelector(".smc-dialog")).Count == 0, "Escape to close the dialog");
        Assert.Equal("choose", ActiveAction()); // focus returns where it came from
        Saved("banner-keyboard-focus");

        Press(Keys.Enter);
        Browser.Until(d => d.FindElement(By.CssSelector(".smc-dialog")), "the settings dialog again");
        Press(Keys.Space); // preferences on
        Press(Keys.Tab); // statistics stays off
        Press(Keys.Tab); // the policy link
        Press(Keys.Tab);
        Assert.Equal("save", ActiveAction());
        Press(Keys.Enter);

        Browser.Until(_ => !BannerShown() && Page.FindElements(By.CssSelector(".smc-dialog")).Count == 0, "both to close");
        Assert.Equal("cookies.necessary=true cookies.preferences=true cookies.statistics=false", await LatestChoices(VisitorId()!, "Decision"));
        // One decision, from the dialog, on the banner's own channel: the banner key records on no other (R7).
        Assert.Equal(1, await Factory.ScalarAsync("SELECT count(*) FROM privacy.consent_events WHERE subject_id = $1", VisitorId()!));
        Assert.Equal(1, await Factory.ScalarAsync(
            "SELECT count(*) FROM privacy.consent_events WHERE subject_id = $1 AND channel = 'Banner'", VisitorId()!));
    }

    [Theory]
    [InlineData("sv")]
    [InlineData("en")]
    public void TheBannerAndTheSettingsDialogMeetWcag21AA(string lang)
    {
        Open(lang);
        Banner();

        var banner = Browser.AccessibilityViolations(".smc-banner");
        Banner().FindElement(By.CssSelector("[data-action='choose']")).Click();
        Browser.Until(d => d.FindElement(By.CssSelector(".smc-dialog")), "the settings dialog");
        var dialog = Browser.AccessibilityViolations(".smc-dialog");

        Assert.Empty(banner); // contrast, names, roles, labels (axe-core's WCAG 2.1 A and AA rules)
        Assert.Empty(dialog);
    }

    [Fact]
    public async Task GlobalPrivacyControlIsSentWithTheDecisionAndShown()
    {
        // Chromium has no GPC setting; the signal is what a browser that sends it exposes to pages.
        ((OpenQA.Selenium.Chromium.ChromiumDriver)Page).ExecuteCdpCommand("Page.addScriptToEvaluateOnNewDocument", new Dictionary<string, object?>
        {
            ["source"] = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });",
        });
        Open("en");

        var banner = Banner();
        Assert.Contains("Global Privacy Control", banner.Text);
        banner.FindElement(By.CssSelector("[data-action='accept-all']")).Click();

        Browser.Until(_ => !BannerShown(), "the banner to close");
        Assert.Equal(1, await Factory.ScalarAsync(
            "SELECT count(*) FROM privacy.consent_events WHERE subject_id = $1 AND gpc AND gpc_source = 'flag'", VisitorId()!));
    }
}

/// <summary>A material policy change and an expired consent, in their own service (they move its clock and its current policy).</summary>
public sealed class BannerPolicyChangeBrowserTests(BrowsablePrivacyApiFactory factory, ITestOutputHelper output)
    : BannerPage(factory, output), IClassFixture<BrowsablePrivacyApiFactory>
{
    [Fact]
    public async Task AMaterialPolicyChangeAsksAgain()
    {
        Open("sv");
        Banner().FindElement(By.CssSelector("[data-action='accept-all']")).Click();
        Browser.Until(_ => !BannerShown(), "the banner to close");

        var version = $"banner-{Guid.NewGuid():N}"[..20];
        using var published = await Factory.Client(Roles.Ops).PostAsJsonAsync("/consent/policy-versions", new
        {
            version, effectiveFrom = Factory.Time.GetUtcNow().AddHours(1), material = true,
            summary = "New recipient.", textSv = "Ny integritetspolicy.", textEn = "New privacy policy.",
        });
        Assert.Equal(System.Net.HttpStatusCode.Created, published.StatusCode);
        Factory.Time.Advance(TimeSpan.FromHours(2));
        Page.Navigate().Refresh();

        var banner = Browser.Until(d => d.FindElement(By.CssSelector(".smc-banner[data-reason='changed']")), "the banner to ask again");
        Assert.Contains("Vår integritetspolicy har ändrats", banner.Text);
        Assert.False(Has("cookies.statistics")); // consent under the old policy is no longer relied on
        Saved("banner-policy-changed");

        // Answering again records the decision under the new version (not the one in a cached configuration), and that holds.
        banner.FindElement(By.CssSelector("[data-action='accept-all']")).Click();
        Browser.Until(_ => !BannerShown(), "the banner to close");
        Assert.Equal(1, await Factory.ScalarAsync(
            "SELECT count(*) FROM privacy.consent_events WHERE subject_id = $1 AND policy_version = $2", VisitorId()!, version));
        Page.Navigate().Refresh();
        Browser.Until(d => d.FindElement(By.CssSelector("html[data-consent-ready='true']")), "the banner to read the consent");
        Assert.False(BannerShown());
        Assert.True(Has("cookies.statistics"));
    }

    [Fact]
    public void AnExpiredConsentAsksAgain()
    {
        Open("en");
        Banner().FindElement(By.CssSelector("[data-action='accept-all']")).Click();
        Browser.Until(_ => !BannerShown(), "the banner to close");

        Factory.Time.Advance(TimeSpan.FromDays(366)); // Consent:ValidityMonths is 12
        Page.Navigate().Refresh();

        var banner = Browser.Until(d => d.FindElement(By.CssSelector(".smc-banner[data-reason='expired']")), "the banner to ask again");
        Assert.Contains("It is a year since you chose", banner.Text);
        Assert.False(Has("cookies.statistics"));
        Assert.Equal("not loaded", Page.FindElement(By.Id("statistics")).Text);
    }
}

/// <summary>A page with the banner in a real browser, and what the tests ask of it.</summary>
public abstract class BannerPage(BrowsablePrivacyApiFactory factory, ITestOutputHelper output) : IDisposable
{
    protected const string Cookie = "smc_consent_id";

    protected BrowsablePrivacyApiFactory Factory { get; } = factory;

    protected BrowserSession Browser { get; } = new();

    public void Dispose()
    {
        Browser.Dispose();
        GC.SuppressFinalize(this);
    }

    protected IWebDriver Page => Browser.Driver;

    protected IWebElement Open(string lang = "sv")
    {
        Page.Navigate().GoToUrl($"{Factory.BaseUrl}/banner/demo?lang={lang}");
        Browser.Until(d => d.FindElement(By.CssSelector("html[data-consent-ready='true']")), "the banner to learn the visitor's consent");
        return Page.FindElement(By.TagName("body"));
    }

    protected IWebElement Banner() => Browser.Until(d => d.FindElement(By.CssSelector(".smc-banner")), "the banner to show");

    protected bool BannerShown() => Page.FindElements(By.CssSelector(".smc-banner")).Count > 0;

    protected string? VisitorId() => Page.Manage().Cookies.GetCookieNamed(Cookie)?.Value;

    protected bool Has(string purpose) => (bool)Browser.Script("return window.consent.has(arguments[0]);", purpose)!;

    protected string ActiveAction() => (string?)Browser.Script("return document.activeElement.getAttribute('data-action') || document.activeElement.name || document.activeElement.tagName;") ?? "";

    protected void Press(string keys) => new Actions(Page).SendKeys(keys).Perform();

    protected void PressShiftTab() => new Actions(Page).KeyDown(Keys.Shift).SendKeys(Keys.Tab).KeyUp(Keys.Shift).Perform();

    protected void Saved(string name) => output.WriteLine($"Screenshot: {Browser.Screenshot(name)}");

    /// <summary>Granted choices of the visitor's latest event of <paramref name="kind"/>, read from the database, as "purpose=granted".</summary>
    protected async Task<string> LatestChoices(string visitorId, string kind)
    {
        await using var connection = await Factory.OpenDatabaseAsync();
        await using var command = new Npgsql.NpgsqlCommand("""
            SELECT string_agg(c.purpose_key || '=' || c.granted, ' ' ORDER BY c.purpose_key)
            FROM privacy.consent_choices c
            WHERE c.event_id = (SELECT e.id FROM privacy.consent_events e
                                WHERE e.subject_type = 'Visitor' AND e.subject_id = $1 AND e.kind = $2
                                ORDER BY e.occurred_at DESC, e.id LIMIT 1)
            """, connection);
        command.Parameters.AddWithValue(visitorId);
        command.Parameters.AddWithValue(kind);
        return (string?)await command.ExecuteScalarAsync() ?? "";
    }
}

/// <summary>
/// The banner as the website includes it: a page of another origin (the website) loading the script from the service and
/// calling it across origins with the public key. Only an origin in Banner:AllowedOrigins may: the browser enforces CORS.
/// </summary>
public sealed class BannerOnTheWebsitesOriginBrowserTests(BannerOnTheWebsitesOriginBrowserTests.WebsiteFactory factory, ITestOutputHelper output)
    : BannerPage(factory, output), IClassFixture<BannerOnTheWebsitesOriginBrowserTests.WebsiteFactory>
{
    /// <summary>The service, and a website on two other origins: http://localhost:P (allowed) and http://127.0.0.2:Q (not).</summary>
    public sealed class WebsiteFactory : BrowsablePrivacyApiFactory
    {
        private WebApplication? _website;

        public string AllowedOrigin { get; private set; } = "";

        public string OtherOrigin { get; private set; } = "";

        public override async Task InitializeAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseKestrel(options =>
            {
                options.Listen(System.Net.IPAddress.Loopback, 0);
                options.Listen(System.Net.IPAddress.Parse("127.0.0.2"), 0);
            });
            _website = builder.Build();
            _website.MapGet("/", (HttpContext http) => Results.Content($$"""
                <!doctype html>
                <html lang="sv"><head><meta charset="utf-8"><title>Smultronsites</title>
                <script src="{{ServiceUrl}}/banner/v1/consent.js" data-key="{{Keys[Privacy.Api.Platform.Security.Roles.Banner]}}" defer></script>
                </head><body><h1>Smultronsites</h1><p id="statistics">not loaded</p>
                <script type="text/plain" data-consent="cookies.statistics">document.getElementById('statistics').textContent = 'loaded';</script>
                </body></html>
                """, "text/html; charset=utf-8"));
            await _website.StartAsync();
            var ports = _website.Urls.Select(u => new Uri(u)).ToList();
            AllowedOrigin = $"http://localhost:{ports.Single(u => u.Host == "127.0.0.1").Port}";
            OtherOrigin = $"http://127.0.0.2:{ports.Single(u => u.Host == "127.0.0.2").Port}";
            await base.InitializeAsync();
        }

        /// <summary>The service's address, known once it listens (the page asks for it per request).</summary>
        private string ServiceUrl => BaseUrl;

        public override async Task DisposeAsync()
        {
            await base.DisposeAsync();
            if (_website is not null)
            {
                await _website.DisposeAsync();
            }
        }

        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Banner:AllowedOrigins:0", AllowedOrigin);
        }
    }

    [Fact]
    public async Task TheWebsitesPageRecordsConsentAcrossOrigins()
    {
        Page.Navigate().GoToUrl(factory.AllowedOrigin + "/");

        var banner = Banner();
        Assert.Contains("Vi använder kakor", banner.Text);
        Saved("banner-on-the-websites-origin");
        banner.FindElement(By.CssSelector("[data-action='accept-all']")).Click();

        Browser.Until(_ => !BannerShown(), "the banner to close");
        var visitor = VisitorId(); // a first-party cookie of the website's origin
        Assert.NotNull(visitor);
        Assert.Equal("cookies.necessary=true cookies.preferences=true cookies.statistics=true", await LatestChoices(visitor, "Decision"));
        Assert.Equal("loaded", Page.FindElement(By.Id("statistics")).Text);
    }

    [Fact]
    public void APageOfAnotherOriginCannotUseTheKey()
    {
        Page.Navigate().GoToUrl(factory.OtherOrigin + "/");

        Browser.Until(d => d.FindElement(By.CssSelector("html[data-consent-ready='failed']")), "the browser to refuse the cross-origin call");
        Assert.False(BannerShown());
        Assert.False(Has("cookies.statistics"));
    }
}
