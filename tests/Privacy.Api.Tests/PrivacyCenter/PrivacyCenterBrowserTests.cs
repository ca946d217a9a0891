using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenQA.Selenium;
using Privacy.Api.Platform.Security;
using Privacy.Api.PrivacyCenter;
using Privacy.Api.Tests.Infrastructure;
using Privacy.Api.Tests.Requests;
using Xunit.Abstractions;
using static Privacy.Api.Tests.Notifications.NotifierTestSupport;

namespace Privacy.Api.Tests.PrivacyCenter;

/// <summary>
/// The privacy center page in a real headless Chromium against the real service on a loopback port, as a person who is not signed
/// in: the form, the code read from what the e-mail system received, the status page and the download. One browser for the class.
/// Screenshots are saved to artifacts/screenshots (privacy-center-*.png).
/// </summary>
public sealed class PrivacyCenterBrowserTests(PrivacyCenterBrowserFactory factory, ITestOutputHelper output)
    : IClassFixture<PrivacyCenterBrowserFactory>
{
    private BrowserSession Browser => factory.Browser;

    private IWebDriver Page => factory.Browser.Driver;

    [Fact]
    public async Task APersonWhoIsNotACustomerConfirmsTheCodeAndDownloadsTheAccessReport()
    {
        var email = PrivacyCenterSupport.NewEmail();
        Open("en");
        Assert.Equal("Make a request", StepTitle().Text);
        Assert.Equal(["Find out what data we hold about you", "Correct inaccurate data", "Erase your data", "Anonymise your data",
                "Complete incomplete data", "Restrict the processing", "Take your data with you (portability)", "Object to a processing",
                "Withdraw a consent"],
            Page.FindElements(By.CssSelector(".spc-choice-name")).Select(e => e.Text).ToArray());
        Saved("privacy-center-form-en");

        Choose("access");
        Page.FindElement(By.Id("spc-email")).SendKeys(email);
        Page.FindElement(By.Id("spc-submit")).Click();

        WaitForStep("code");
        Assert.Contains($"We sent a 6-digit code to {email}. The code is valid for 15 minutes.", Step().Text);
        Assert.Equal("spc-step-title", Page.SwitchTo().ActiveElement().GetAttribute("id")); // focus moves to the new step's heading
        var code = Page.FindElement(By.Id("spc-code"));
        Assert.Equal(("numeric", "one-time-code", "6"), (code.GetAttribute("inputmode"), code.GetAttribute("autocomplete"), code.GetAttribute("maxlength")));
        Saved("privacy-center-code-en");
        var (id, sent) = await factory.CodeFor(email, "rights_request.verification_code");
        Assert.Equal(1, await factory.ScalarAsync( // the submission carried an Idempotency-Key: a retry would make no second request
            "SELECT count(*) FROM privacy.idempotency_records WHERE caller_key_id = 'anonymous' AND response_body LIKE '%' || $1 || '%'", id));
        code.SendKeys(sent);
        Page.FindElement(By.Id("spc-confirm")).Click();

        var state = WaitForStatusPage();
        Assert.StartsWith("In progress", state.Text);
        Assert.StartsWith($"{factory.BaseUrl}/privacy-center/status/", Page.Url, StringComparison.Ordinal);
        Assert.Empty(Browser.AccessibilityViolations("main"));
        Saved("privacy-center-status-in-progress-en");
        Assert.Equal("in_progress", (await factory.RequestById(id)).Text("status"));

        await factory.AnswerEveryTask(id);
        Page.Navigate().Refresh();

        Assert.StartsWith("Completed", WaitForStatusPage().Text);
        Assert.Empty(Browser.AccessibilityViolations("main"));
        Saved("privacy-center-status-completed-en");
        var report = Download(id);
        Assert.Contains("Access report", report);
        Assert.Contains("No data about you has been disclosed.", report);
        Assert.Equal(1, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.audit_entries WHERE action = 'rights_request.report_downloaded' AND entity_id = $1", id));
    }

    [Fact]
    public async Task ACustomerConfirmsTheCodeInSwedishAndDownloadsTheAccessReportOnceOpsConfirmTheCustomerNumber()
    {
        var (customer, email) = (TestSubjects.NewCustomer(), PrivacyCenterSupport.NewEmail());
        await factory.Disclose(customer, "card-provider", "customer_obligations", "user.name", "user.contact.email");
        Open("sv");
        Assert.Equal("Gör en begäran", StepTitle().Text);
        Saved("privacy-center-form-sv");

        Choose("access");
        Page.FindElement(By.Id("spc-email")).SendKeys(email);
        Page.FindElement(By.Id("spc-customer")).SendKeys(customer);
        Page.FindElement(By.Id("spc-submit")).Click();

        WaitForStep("code");
        Assert.Contains($"Vi har skickat en kod med 6 siffror till {email}. Koden gäller i 15 minuter.", Step().Text);
        Saved("privacy-center-code-sv");
        var (id, sent) = await factory.CodeFor(email, "rights_request.verification_code");
        Page.FindElement(By.Id("spc-code")).SendKeys(sent);
        Page.FindElement(By.Id("spc-confirm")).Click();

        // The e-mail address is confirmed; the customer number waits for ops (it never widens the request by itself).
        Assert.Contains("Vi kontrollerar de andra uppgifterna du lämnade", WaitForStatusPage().Text);
        Assert.Equal("sv", Page.FindElement(By.TagName("html")).GetAttribute("lang"));
        Saved("privacy-center-status-waiting-sv");
        using (var confirmed = await factory.Client(Roles.Ops).PostJson($"/requests/{id}/identity-verification",
                   new { method = "Called the customer on the account's phone number", identifiers = new[] { "customer_number" } }))
        {
            Assert.Equal("in_progress", (await confirmed.ReadOk<JsonElement>()).Text("status"));
        }

        Page.Navigate().Refresh();
        Assert.StartsWith("Pågår", WaitForStatusPage().Text);
        Assert.Empty(Browser.AccessibilityViolations("main"));
        await factory.AnswerEveryTask(id);
        Page.Navigate().Refresh();

        Assert.StartsWith("Klar", WaitForStatusPage().Text);
        Assert.Equal("Ladda ner ditt registerutdrag (HTML)", Page.FindElement(By.Id("spc-download")).Text);
        Assert.Empty(Browser.AccessibilityViolations("main"));
        Saved("privacy-center-status-completed-sv");
        var report = Download(id);
        Assert.Contains("Registerutdrag", report);
        Assert.Contains(customer, report);
        Assert.Equal(1, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.audit_entries WHERE action = 'rights_request.report_downloaded' AND entity_id = $1", id));
    }

    [Fact]
    public async Task FiveWrongCodesLockTheRequestAndThePageSaysSo()
    {
        var email = PrivacyCenterSupport.NewEmail();
        var id = SubmitOnThePage("en", email, "erasure");
        var (_, right) = await factory.CodeFor(email, "rights_request.verification_code");

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            EnterCode(PrivacyCenterSupport.Wrong(right, attempt));
            var expected = attempt == 4
                ? "The code is not right. You have one attempt left; after that the request is closed."
                : $"The code is not right. You have {5 - attempt} attempts left.";
            Browser.Until(d => d.FindElement(By.Id("spc-code-error")).Text == expected, $"the attempts left after wrong code {attempt}");
            Assert.Equal("true", Page.FindElement(By.Id("spc-code")).GetAttribute("aria-invalid"));
            if (attempt == 1)
            {
                Assert.Empty(Browser.AccessibilityViolations("main"));
                Saved("privacy-center-wrong-code-en");
            }
        }

        EnterCode(PrivacyCenterSupport.Wrong(right, 5));

        WaitForStep("locked");
        Assert.Equal("The request is closed", StepTitle().Text);
        Assert.Contains("A wrong code was entered too many times", Step().Text);
        Saved("privacy-center-locked-en");
        Assert.Equal("rejected", (await factory.RequestById(id)).Text("status"));
        Assert.Equal(HttpStatusCode.Conflict, (await factory.EnterCode(id, right)).StatusCode); // the right code no longer opens it
        await factory.Received(id, "rights_request.rejected"); // the address is told

        Page.FindElement(By.Id("spc-new-request")).Click();
        WaitForStep("form");
        Assert.Equal("", Page.FindElement(By.Id("spc-email")).GetAttribute("value"));
    }

    [Fact]
    public async Task AnUnknownAddressAndAKnownCustomerSeeTheSamePagesAndGetTheSameMessages()
    {
        var known = TestSubjects.NewCustomer();
        await factory.Disclose(known, "card-provider", "customer_obligations", "user.name", "user.contact.email");

        async Task<string> Walk(string customer)
        {
            var email = PrivacyCenterSupport.NewEmail();
            Open("sv");
            var form = Step().Text;
            Choose("access");
            Page.FindElement(By.Id("spc-email")).SendKeys(email);
            Page.FindElement(By.Id("spc-customer")).SendKeys(customer);
            Page.FindElement(By.Id("spc-submit")).Click();
            WaitForStep("code");
            var codeStep = Step().Text.Replace(email, "…", StringComparison.Ordinal);
            var (id, code) = await factory.CodeFor(email, "rights_request.verification_code");
            EnterCode(PrivacyCenterSupport.Wrong(code));
            var wrong = Browser.Until(d => d.FindElement(By.Id("spc-code-error")).Text is { Length: > 0 } text ? text : null, "the wrong code's message");
            Page.FindElement(By.Id("spc-code")).Clear();
            EnterCode(code);
            var status = WaitForStatusPage().FindElement(By.XPath("./..")).Text;
            await factory.Received(id, "rights_request.received");
            var messages = factory.MessagesAbout(id).Select(m =>
                $"{m.GetProperty("type").GetString()}({string.Join(",", m.GetProperty("data").EnumerateObject().Select(p => $"{p.Name}:{p.Value.ValueKind}"))})");
            // What differs by nature (the reference, dates) is taken out; everything else must be the same.
            return Regex.Replace($"{form}\n{codeStep}\n{wrong}\n{status}\n{string.Join("\n", messages)}",
                @"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9]{4}-[0-9]{2}-[0-9]{2}", "…");
        }

        var ofTheCustomer = await Walk(known);
        var ofNobody = await Walk(TestSubjects.NewCustomer());

        Assert.Equal(ofTheCustomer, ofNobody);
        Assert.Contains("rights_request.verification_code(", ofNobody);
        Assert.Contains("rights_request.received(", ofNobody);
    }

    [Fact]
    public async Task AnExpiredCodeIsRefusedAndANewCodeOpensTheStatusPage()
    {
        var email = PrivacyCenterSupport.NewEmail();
        SubmitOnThePage("sv", email);
        var (id, first) = await factory.CodeFor(email, "rights_request.verification_code");
        factory.Time.Advance(TimeSpan.FromMinutes(16)); // PrivacyCenter:CodeValidity is 15 minutes

        EnterCode(first);

        Assert.Equal("Koden har gått ut. Be om en ny kod.",
            Browser.Until(d => d.FindElement(By.Id("spc-code-error")).Text is { Length: > 0 } text ? text : null, "the expired message"));
        Saved("privacy-center-expired-sv");
        Page.FindElement(By.Id("spc-resend")).Click();
        Assert.StartsWith("Vi har skickat en ny kod.", Browser.Until(d => d.FindElement(By.Id("spc-status")).Text is { Length: > 0 } text
            && !text.Contains('…', StringComparison.Ordinal) ? text : null, "the new code's message"));
        var codes = await factory.CodesReceived(id, 2);
        Page.FindElement(By.Id("spc-code")).Clear();
        EnterCode(codes[1]);

        Assert.StartsWith("Pågår", WaitForStatusPage().Text);
    }

    [Fact]
    public async Task AnUnconfirmedRequestIsRemindedAfterADayAndClosedAfterAWeekAndThePageThenSaysItIsClosed()
    {
        var sweep = factory.Services.GetRequiredService<PrivacyCenterSweep>();
        var email = PrivacyCenterSupport.NewEmail();
        SubmitOnThePage("sv", email, "restriction");
        var (id, _) = await factory.CodeFor(email, "rights_request.verification_code");

        factory.Time.Advance(TimeSpan.FromHours(24)); // PrivacyCenter:ReminderAfter
        await sweep.RunOnceAsync(CancellationToken.None);
        var reminder = await factory.Received(id, "rights_request.verification_reminder");
        Assert.Matches("^[0-9]{6}$", reminder.GetProperty("data").GetProperty("code").GetString());
        factory.Time.Advance(TimeSpan.FromDays(6)); // PrivacyCenter:CloseUnverifiedAfter is 7 days
        await sweep.RunOnceAsync(CancellationToken.None);
        await factory.Received(id, "rights_request.rejected"); // the person is told
        Assert.Equal("rejected", (await factory.RequestById(id)).Text("status"));

        // The reminder's link opens the code step of that request; its code no longer opens anything.
        Page.Navigate().GoToUrl($"{factory.BaseUrl}/privacy-center?lang=sv&request={Guid.Parse(id):N}");
        WaitForStep("code");
        Assert.Contains("till e-postadressen du angav", Step().Text);
        EnterCode(reminder.GetProperty("data").GetProperty("code").GetString()!);

        WaitForStep("closed");
        Assert.Equal("Begäran väntar inte längre på en kod", StepTitle().Text);
        Assert.Empty(Browser.AccessibilityViolations("main"));
        Saved("privacy-center-closed-sv");
    }

    [Fact]
    public async Task OnTheWebsitesOwnPageTheScriptTalksToTheServiceAcrossOriginsAndSendsThePersonToTheStatusLink()
    {
        var email = PrivacyCenterSupport.NewEmail();
        Open("en"); // the service's own page first: its cached configuration must not break the website's
        Page.Navigate().GoToUrl($"{factory.Website}/privacy"); // another origin; <html lang="en">, nothing on the target but its id

        WaitForStep("form");
        Assert.Equal("Make a request", StepTitle().Text);
        Assert.Contains("spc-main", Page.FindElement(By.Id("privacy-center")).GetAttribute("class"));
        Assert.Equal(1L, Browser.Script("return document.querySelectorAll('link[href$=\"privacy-center.css\"]').length;"));
        Assert.Equal($"{factory.BaseUrl}/banner/v1/policy?lang=en", Page.FindElement(By.CssSelector(".spc-lead a")).GetAttribute("href"));
        Assert.True((bool)Browser.Script(
            "return document.getElementById('privacy-center').getBoundingClientRect().right <= document.documentElement.clientWidth;")!,
            "the embedded form fits the website's page");
        Saved("privacy-center-embedded-en");
        Choose("portability");
        Page.FindElement(By.Id("spc-email")).SendKeys(email);
        Page.FindElement(By.Id("spc-submit")).Click();
        WaitForStep("code");
        var (id, code) = await factory.CodeFor(email, "rights_request.verification_code");
        Assert.Equal("en", (await factory.RequestById(id)).Text("language"));

        EnterCode(code);

        // Embedded, the path alone would open the website's own page: the person goes to the full link (PrivacyCenter:PublicUrl).
        Browser.Until(d => d.Url.StartsWith("https://privacy.test/privacy-center/status/", StringComparison.Ordinal), "the status link to open");
        Assert.Equal("in_progress", (await factory.RequestById(id)).Text("status"));
    }

    [Fact]
    public void SubmittingWithoutAnEmailMarksTheFieldAndMovesFocusToIt()
    {
        Open("en");
        Choose("access");

        Page.FindElement(By.Id("spc-submit")).Click();

        var field = Page.FindElement(By.Id("spc-email"));
        Browser.Until(_ => field.GetAttribute("aria-invalid") == "true", "the e-mail field to be marked");
        Assert.Equal("spc-email", Page.SwitchTo().ActiveElement().GetAttribute("id"));
        Assert.Equal("Enter your e-mail address. We send the code there.", Page.FindElement(By.Id("spc-email-error")).Text);
        Assert.Contains("spc-email-error", field.GetAttribute("aria-describedby"));
        Assert.Empty(Browser.AccessibilityViolations("main"));
        Saved("privacy-center-validation-en");

        // The service's own check, shown at its field in the page's words (a personnummer whose check digit is wrong).
        field.SendKeys(PrivacyCenterSupport.NewEmail());
        Page.FindElement(By.Id("spc-pin")).SendKeys("19900101-0000");
        Page.FindElement(By.Id("spc-submit")).Click();

        var pin = Page.FindElement(By.Id("spc-pin"));
        Browser.Until(_ => pin.GetAttribute("aria-invalid") == "true", "the personnummer field to be marked");
        Assert.Null(field.GetAttribute("aria-invalid"));
        Assert.Equal("spc-pin", Page.SwitchTo().ActiveElement().GetAttribute("id"));
        Assert.StartsWith("This is not a valid personal identity number.", Page.FindElement(By.Id("spc-pin-error")).Text);
        Assert.Equal("form", Page.FindElement(By.Id("privacy-center")).GetAttribute("data-step"));
    }

    [Theory]
    [InlineData("sv")]
    [InlineData("en")]
    public async Task TheFormTheCodeStepAndTheirErrorsMeetWcag21AA(string lang)
    {
        Open(lang);
        var form = Browser.AccessibilityViolations("main");
        Choose("withdraw_consent");
        Assert.True(Page.FindElement(By.Id("spc-purpose")).Displayed); // which consent
        Choose("rectification");
        Assert.True(Page.FindElement(By.Id("spc-category")).Displayed);
        Page.FindElement(By.Id("spc-submit")).Click();
        Browser.Until(d => d.FindElement(By.Id("spc-category")).GetAttribute("aria-invalid") == "true", "the missing fields to be marked");
        var errors = Browser.AccessibilityViolations("main");
        Saved($"privacy-center-form-errors-{lang}");
        var email = PrivacyCenterSupport.NewEmail();
        Choose("access");
        Page.FindElement(By.Id("spc-email")).SendKeys(email);
        Page.FindElement(By.Id("spc-submit")).Click();
        WaitForStep("code");
        var codeStep = Browser.AccessibilityViolations("main");
        var (_, code) = await factory.CodeFor(email, "rights_request.verification_code");
        EnterCode(PrivacyCenterSupport.Wrong(code));
        Browser.Until(d => d.FindElement(By.Id("spc-code")).GetAttribute("aria-invalid") == "true", "the wrong code to be marked");
        var wrong = Browser.AccessibilityViolations("main");

        Assert.Empty(form); // contrast, names, roles, labels (axe-core's WCAG 2.1 A and AA rules)
        Assert.Empty(errors);
        Assert.Empty(codeStep);
        Assert.Empty(wrong);
    }

    [Fact]
    public void AtTheWidthOfASmallPhoneTheFormFitsAndMeetsWcag21AA()
    {
        Page.Manage().Window.Size = new System.Drawing.Size(320, 800);
        try
        {
            Open("sv");

            Assert.Empty(Browser.AccessibilityViolations("main"));
            Assert.True((long)Browser.Script("return document.documentElement.scrollWidth;")! <= 320, "nothing sticks out sideways at 320px");
            Saved("privacy-center-form-320-sv");
        }
        finally
        {
            Page.Manage().Window.Size = new System.Drawing.Size(1280, 900);
        }
    }

    // ---- what the tests do on the page ----------------------------------------------------------------------------------------

    private void Open(string lang)
    {
        Page.Navigate().GoToUrl($"{factory.BaseUrl}/privacy-center?lang={lang}");
        WaitForStep("form");
    }

    /// <summary>Fills in the form with the one right and address and submits it; answers the request's id.</summary>
    private string SubmitOnThePage(string lang, string email, string right = "access")
    {
        Open(lang);
        Choose(right);
        Page.FindElement(By.Id("spc-email")).SendKeys(email);
        Page.FindElement(By.Id("spc-submit")).Click();
        WaitForStep("code");
        return factory.CodeFor(email, "rights_request.verification_code").GetAwaiter().GetResult().RequestId;
    }

    private void Choose(string right) => Page.FindElement(By.CssSelector($"label[for='spc-right-{right}']")).Click();

    private void EnterCode(string code)
    {
        var field = Page.FindElement(By.Id("spc-code"));
        field.Clear();
        field.SendKeys(code + Keys.Enter);
    }

    private void WaitForStep(string step) =>
        Browser.Until(d => d.FindElement(By.CssSelector($"#privacy-center[data-step='{step}'] .spc-step[data-step='{step}']")), $"the {step} step");

    private IWebElement Step() => Page.FindElement(By.CssSelector("#privacy-center .spc-step"));

    private IWebElement StepTitle() => Page.FindElement(By.Id("spc-step-title"));

    private IWebElement WaitForStatusPage() => Browser.Until(d => d.FindElement(By.Id("spc-state")), "the status page");

    /// <summary>Clicks the download link as the person would, and reads the file Chromium saved.</summary>
    private string Download(string id)
    {
        var directory = Directory.CreateTempSubdirectory("privacy-center-downloads-").FullName;
        try
        {
            ((OpenQA.Selenium.Chromium.ChromiumDriver)Page).ExecuteCdpCommand("Browser.setDownloadBehavior", new Dictionary<string, object?>
            {
                ["behavior"] = "allow", ["downloadPath"] = directory,
            });
            Page.FindElement(By.Id("spc-download")).Click();
            var file = Path.Combine(directory, $"access-report-{Guid.Parse(id):N}.html");
            Browser.Until(_ => File.Exists(file) && new FileInfo(file).Length > 0, "the access report to download");
            return File.ReadAllText(file);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Saves the whole page, not only what the window shows (the form is longer than a screen).</summary>
    private void Saved(string name)
    {
        var size = (IReadOnlyCollection<object>)Browser.Script(
            "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight];")!;
        var (width, height) = (Convert.ToInt64(size.First(), System.Globalization.CultureInfo.InvariantCulture),
            Convert.ToInt64(size.Last(), System.Globalization.CultureInfo.InvariantCulture));
        var shot = (Dictionary<string, object>)((OpenQA.Selenium.Chromium.ChromiumDriver)Page).ExecuteCdpCommand("Page.captureScreenshot",
            new Dictionary<string, object?>
            {
                ["format"] = "png", ["captureBeyondViewport"] = true,
                ["clip"] = new Dictionary<string, object?> { ["x"] = 0, ["y"] = 0, ["width"] = width, ["height"] = height, ["scale"] = 1 },
            })!;
        Directory.CreateDirectory(BrowserSession.ScreenshotDirectory);
        var path = Path.Combine(BrowserSession.ScreenshotDirectory, $"{name}.png");
        File.WriteAllBytes(path, Convert.FromBase64String((string)shot["data"]));
        output.WriteLine($"screenshot: {path}");
    }
}

/// <summary>
/// The service on a loopback port with the e-mail system's endpoint a real webhook receiver, so the tests read each code from what
/// the e-mail system received, as a person reads it from their inbox; and one browser for the class.
/// </summary>
public sealed class PrivacyCenterBrowserFactory : BrowsablePrivacyApiFactory
{
    private readonly Lazy<BrowserSession> _browser = new(() => new BrowserSession());

    private Microsoft.AspNetCore.Builder.WebApplication? _website;

    public WebhookReceiver Email { get; private set; } = null!;

    /// <summary>The website's origin (another port): its page embeds the privacy center as the README says.</summary>
    public string Website { get; private set; } = "";

    public BrowserSession Browser => _browser.Value;

    public override async Task InitializeAsync()
    {
        Email = await WebhookReceiver.StartAsync();
        await StartWebsiteAsync();
        await base.InitializeAsync();
        await SetEndpointAsync(this, Email.Url, "email");
    }

    public override async Task DisposeAsync()
    {
        if (_browser.IsValueCreated)
        {
            _browser.Value.Dispose();
        }

        await base.DisposeAsync();
        await Email.DisposeAsync();
        if (_website is not null)
        {
            await _website.StopAsync();
            await _website.DisposeAsync();
        }
    }

    /// <summary>A page of the website on its own origin, with the two lines of the README's embedding.</summary>
    private async Task StartWebsiteAsync()
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _website = builder.Build();
        Microsoft.AspNetCore.Builder.EndpointRouteBuilderExtensions.MapGet(_website, "/privacy", () => Microsoft.AspNetCore.Http.Results.Content($"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Privacy – Smultronsites</title></head>
            <body><h1>Privacy at Smultronsites</h1><div id="privacy-center"></div>
            <script src="{BaseUrl}/privacy-center/privacy-center.js" data-target="#privacy-center" defer></script></body></html>
            """, "text/html; charset=utf-8"));
        await _website.StartAsync();
        Website = _website.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Notifier:AllowHttp", "true"); // the receiver is on loopback, over http
        builder.UseSetting("Notifier:AllowPrivateNetworks", "true");
        builder.UseSetting("Notifier:PollInterval", "00:00:00.020");
        builder.UseSetting("Notifier:ImmediateRetryDelay", "00:00:00.010");
        builder.UseSetting("Banner:AllowedOrigins:0", Website); // CORS for the website's page, as for the banner
    }

    /// <summary>The events the e-mail system received about a request, oldest first.</summary>
    public List<JsonElement> MessagesAbout(string requestId) =>
        [.. Email.Accepted.Select(r => JsonDocument.Parse(r.Body).RootElement)
            .Where(m => m.GetProperty("data").TryGetProperty("requestId", out var id) && id.GetString() == requestId)];

    /// <summary>Waits until the e-mail system received an event of <paramref name="type"/> about the request, and answers it.</summary>
    public async Task<JsonElement> Received(string requestId, string type) =>
        await Eventually(() => MessagesAbout(requestId).FirstOrDefault(m => m.GetProperty("type").GetString() == type) is { ValueKind: JsonValueKind.Object } m
            ? m : (JsonElement?)null, $"the e-mail system to receive {type}");

    /// <summary>Waits for the code the e-mail system was sent for <paramref name="email"/>; answers the request and the code.</summary>
    public async Task<(string RequestId, string Code)> CodeFor(string email, string type) =>
        await Eventually(() => Email.Accepted.Select(r => JsonDocument.Parse(r.Body).RootElement)
            .Where(m => m.GetProperty("type").GetString() == type && m.GetProperty("data").GetProperty("email").GetString() == email)
            .Select(m => ((string, string)?)(m.GetProperty("data").GetProperty("requestId").GetString()!, m.GetProperty("data").GetProperty("code").GetString()!))
            .FirstOrDefault(), $"the e-mail system to receive a {type}");

    /// <summary>Waits until the e-mail system received <paramref name="count"/> codes for the request; answers them, oldest first.</summary>
    public async Task<List<string>> CodesReceived(string requestId, int count) =>
        await EventuallyFound(() => MessagesAbout(requestId)
                .Where(m => m.GetProperty("type").GetString() is "rights_request.verification_code" or "rights_request.verification_reminder")
                .Select(m => m.GetProperty("data").GetProperty("code").GetString()!).ToList() is { } codes && codes.Count >= count ? codes : null,
            $"{count} codes to arrive");

    private static async Task<T> Eventually<T>(Func<T?> found, string what)
        where T : struct =>
        (T)await EventuallyFound(() => found() is { } value ? (object)value : null, what);

    private static async Task<T> EventuallyFound<T>(Func<T?> found, string what)
        where T : class
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (found() is { } value)
            {
                return value;
            }

            Assert.False(patience.IsCancellationRequested, $"Timed out waiting for {what}");
            await Task.Delay(20, CancellationToken.None);
        }
    }
}
