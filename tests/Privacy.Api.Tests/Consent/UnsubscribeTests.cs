using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Privacy.Api.Platform.Keys;
using Privacy.Api.Platform.Problems;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using Privacy.Api.Tests.Requests;
using static Privacy.Api.Tests.Consent.ConsentRequests;

namespace Privacy.Api.Tests.Consent;

/// <summary>
/// RFC 8058 one-click unsubscribe, over real connections (Kestrel), so the proof holds the poster's own address: the e-mail system
/// fetches the List-Unsubscribe headers; the mail client posts the one-click form without credentials; a GET changes nothing.
/// </summary>
public sealed partial class UnsubscribeTests(BrowsablePrivacyApiFactory factory) : IClassFixture<BrowsablePrivacyApiFactory>
{
    private const string MailClientAddress = "127.0.0.58";
    private const string MailClientAgent = "Mozilla/5.0 (compatible; OneClickUnsubscriber/1.0)";

    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    [Fact]
    public async Task AOneClickPostToTheHeadersLinkWithdrawsTheNewsletterOnItsOwnChannelWithThePostersAddressAsProof()
    {
        var customer = TestSubjects.NewCustomer();
        await _ops.Record(Decision("customer", customer, [("newsletter", "granted")]));
        var url = (await Links("customer", customer)).Text("url")!;

        // Act: the mail client posts the one-click form, with no key, no cookie, from its own address.
        using var posted = await MailClient().PostAsync(PathOf(url), OneClick());

        // Assert: a short JSON confirmation; the consent is withdrawn on the one-click channel, the proof is the poster's.
        var answer = await posted.ReadOk<JsonElement>();
        Assert.Equal("unsubscribed", answer.Text("status"));
        Assert.Equal("newsletter", answer.Text("purpose"));
        var newsletter = (await _ops.State("customer", customer)).Purpose("newsletter");
        Assert.Equal("denied", newsletter.Text("status"));
        Assert.True(newsletter.GetProperty("withdrawn").GetBoolean());
        var withdrawal = Assert.Single(await Events("customer", customer), e => e.Text("kind") == "withdrawal");
        Assert.Equal("one_click_unsubscribe", withdrawal.Text("channel"));
        Assert.Equal(MailClientAddress, withdrawal.Text("ipAddress"));
        Assert.Equal(MailClientAgent, withdrawal.Text("userAgent"));
        Assert.Equal(["newsletter"], withdrawal.GetProperty("choices").EnumerateArray().Select(c => c.Text("purpose")));
    }

    [Fact]
    public async Task AMultipartOneClickPostUnsubscribesAVisitorToo()
    {
        var visitor = NewVisitorId();
        await _ops.Record(Decision("visitor", visitor, [("newsletter", "granted")]));
        var url = (await Links("visitor", visitor)).Text("url")!;

        using var form = new MultipartFormDataContent { { new StringContent("One-Click"), "List-Unsubscribe" } };
        using var posted = await MailClient().PostAsync(PathOf(url), form);

        Assert.Equal("unsubscribed", (await posted.ReadOk<JsonElement>()).Text("status"));
        Assert.Equal("denied", (await _ops.State("visitor", visitor)).Purpose("newsletter").Text("status"));
        Assert.Equal("one_click_unsubscribe", Assert.Single(await Events("visitor", visitor), e => e.Text("kind") == "withdrawal").Text("channel"));
    }

    [Fact]
    public async Task AKeySentWithThePostIsIgnoredTheSignedLinkAloneDecides()
    {
        var visitor = NewVisitorId();
        await _ops.Record(Decision("visitor", visitor, [("newsletter", "granted")]));
        var path = PathOf((await Links("visitor", visitor)).Text("url")!);

        // The banner key may not withdraw the newsletter (not a banner purpose); the link may, whatever key comes with it.
        using var posted = await factory.Client(Roles.Banner).PostAsync(path, OneClick());

        Assert.Equal("unsubscribed", (await posted.ReadOk<JsonElement>()).Text("status"));
        Assert.Equal("anonymous", Assert.Single(await Events("visitor", visitor), e => e.Text("kind") == "withdrawal").Text("recordedBy"));
    }

    [Fact]
    public async Task AGetShowsAConfirmationPageThatChangesNothingAndItsButtonUnsubscribes()
    {
        var customer = TestSubjects.NewCustomer();
        await _ops.Record(Decision("customer", customer, [("newsletter", "granted")]));
        var url = (await Links("customer", customer)).Text("url")!;
        var browser = Browser();

        // Act: a link scanner, then the person, open the link (Swedish by default, English when asked).
        using var swedish = await browser.GetAsync(PathOf(url));
        using var english = await browser.GetAsync(PathOf(url) + "?lang=en");

        // Assert: pages in the language asked, a plain form posting the one-click field, strict headers; nothing recorded.
        var sv = await Page(swedish);
        Assert.Contains("<html lang=\"sv\">", sv, StringComparison.Ordinal);
        Assert.Contains("Avsluta prenumerationen", sv, StringComparison.Ordinal);
        Assert.Contains("Nyhetsbrev", sv, StringComparison.Ordinal);
        var en = await Page(english);
        Assert.Contains("<html lang=\"en\">", en, StringComparison.Ordinal);
        Assert.Contains("<button type=\"submit\">Unsubscribe</button>", en, StringComparison.Ordinal);
        Assert.Contains("<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">", en, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", en, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(customer, sv + en, StringComparison.Ordinal);
        Assert.Equal("granted", (await _ops.State("customer", customer)).Purpose("newsletter").Text("status"));
        Assert.DoesNotContain(await Events("customer", customer), e => e.Text("kind") == "withdrawal");
        using (var badLanguage = await browser.GetAsync(PathOf(url) + "?lang=de"))
        {
            Assert.Equal(["lang"], await badLanguage.AssertValidationErrors());
        }

        // The person presses the button: the browser posts the form to its action, resolved against the page's address.
        var action = new Uri(new Uri(factory.BaseUrl + PathOf(url) + "?lang=en"), WebUtility.HtmlDecode(FormAction().Match(en).Groups[1].Value));
        using var pressed = await browser.PostAsync(action, OneClick());
        var done = await Page(pressed);
        Assert.Contains("<html lang=\"en\">", done, StringComparison.Ordinal);
        Assert.Contains("You have unsubscribed", done, StringComparison.Ordinal);
        Assert.Equal("denied", (await _ops.State("customer", customer)).Purpose("newsletter").Text("status"));
    }

    [Fact]
    public async Task AForgedAlteredOrOtherKindOfTokenIs404AndSaysNothingAboutTheSubject()
    {
        var customer = TestSubjects.NewCustomer();
        await _ops.Record(Decision("customer", customer, [("newsletter", "granted")]));
        var token = TokenOf((await Links("customer", customer)).Text("url")!);
        var signedLinks = factory.Services.GetRequiredService<SignedLinks>();
        var sealedSubject = signedLinks.Read("unsubscribe", token)!.Subject;
        var (body, mac) = (token.Split('.')[0], token.Split('.')[1]);
        string[] tokens =
        [
            "not-a-token",
            Altered(body) + "." + mac, // the subject changed
            body + "." + Altered(mac), // the seal changed
            signedLinks.Issue("status", sealedSubject, null), // a genuine link of another kind, for the same subject
            signedLinks.Issue("unsubscribe", $"newsletter\ncustomer\n{customer}", null), // sealed, but not the link's own opaque subject
        ];

        foreach (var forged in tokens)
        {
            foreach (var method in new[] { HttpMethod.Get, HttpMethod.Post })
            {
                using var request = new HttpRequestMessage(method, $"/unsubscribe/{Uri.EscapeDataString(forged)}") { Content = method == HttpMethod.Post ? OneClick() : null };
                using var response = await MailClient().SendAsync(request);
                var problem = await response.AssertProblem(ProblemTypes.NotFound);
                Assert.DoesNotContain(customer, problem.GetRawText(), StringComparison.Ordinal);
                Assert.DoesNotContain("newsletter", problem.GetRawText(), StringComparison.Ordinal);
            }
        }

        Assert.Equal("granted", (await _ops.State("customer", customer)).Purpose("newsletter").Text("status"));
        Assert.DoesNotContain(await Events("customer", customer), e => e.Text("kind") == "withdrawal");
    }

    [Fact]
    public async Task ALinkMadeForOneCustomerNeverTouchesAnother()
    {
        var (customer, other) = (TestSubjects.NewCustomer(), TestSubjects.NewCustomer());
        foreach (var subject in new[] { customer, other })
        {
            await _ops.Record(Decision("customer", subject, [("newsletter", "granted")]));
        }

        var url = (await Links("customer", customer)).Text("url")!;
        (await MailClient().PostAsync(PathOf(url), OneClick())).EnsureSuccessStatusCode();

        Assert.Equal("denied", (await _ops.State("customer", customer)).Purpose("newsletter").Text("status"));
        Assert.Equal("granted", (await _ops.State("customer", other)).Purpose("newsletter").Text("status"));
        Assert.DoesNotContain(await Events("customer", other), e => e.Text("kind") == "withdrawal");
        // Two links for the two customers are not the same link, nor is a second link for one customer (the seal is random).
        Assert.NotEqual(TokenOf((await Links("customer", other)).Text("url")!), TokenOf(url));
    }

    [Fact]
    public async Task ASecondPostRecordsNoSecondWithdrawalAndAnswersTheSame()
    {
        var customer = TestSubjects.NewCustomer();
        await _ops.Record(Decision("customer", customer, [("newsletter", "granted")]));
        var path = PathOf((await Links("customer", customer)).Text("url")!);

        using var first = await MailClient().PostAsync(path, OneClick());
        using var second = await MailClient().PostAsync(path, OneClick());

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Single(await Events("customer", customer), e => e.Text("kind") == "withdrawal");
    }

    [Fact]
    public async Task APostWithoutTheOneClickFieldIs400NamingTheFieldAndChangesNothing()
    {
        var customer = TestSubjects.NewCustomer();
        await _ops.Record(Decision("customer", customer, [("newsletter", "granted")]));
        var path = PathOf((await Links("customer", customer)).Text("url")!);

        HttpContent?[] bodies =
        [
            null,
            new FormUrlEncodedContent([]),
            new FormUrlEncodedContent([new("List-Unsubscribe", "Yes")]),
            new FormUrlEncodedContent([new("Unsubscribe", "One-Click")]),
            JsonContent.Create(new Dictionary<string, string> { ["List-Unsubscribe"] = "One-Click" }), // not a form
        ];
        foreach (var body in bodies)
        {
            using var response = await MailClient().PostAsync(path, body);
            Assert.Equal(["List-Unsubscribe"], await response.AssertValidationErrors());
        }

        Assert.Equal("granted", (await _ops.State("customer", customer)).Purpose("newsletter").Text("status"));
        Assert.DoesNotContain(await Events("customer", customer), e => e.Text("kind") == "withdrawal");
    }

    [Fact]
    public async Task TheHeaderValuesHaveTheExactFormsOfRfc8058AndTheLinkIsOpaque()
    {
        var customer = TestSubjects.NewCustomer();

        var links = await Links("customer", customer);

        var url = links.Text("url")!;
        Assert.Matches("^https://privacy\\.test/unsubscribe/[A-Za-z0-9_.-]+$", url);
        Assert.Equal($"<{url}>", links.Text("listUnsubscribe"));
        Assert.Equal("List-Unsubscribe=One-Click", links.Text("listUnsubscribePost"));
        // The link names the subscriber only sealed: no customer number in it, readable or base64-decoded.
        var token = TokenOf(url);
        Assert.DoesNotContain(customer, token, StringComparison.Ordinal);
        Assert.DoesNotContain(customer, Encoding.UTF8.GetString(Convert.FromBase64String(Base64(token.Split('.')[0]))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheEmailSystemsKeyAndOpsGetTheLinksAndNoOtherKey()
    {
        const string query = "/consent/unsubscribe-links?subjectType=customer&subjectId=100234&purpose=newsletter";

        using var email = await factory.SystemClient("email").GetAsync(query);
        using var ops = await _ops.GetAsync(query);
        Assert.Equal(HttpStatusCode.OK, email.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ops.StatusCode);

        using (var booking = await factory.SystemClient("booking").GetAsync(query))
        {
            var problem = await booking.AssertProblem(ProblemTypes.NotFound);
            Assert.DoesNotContain("unsubscribe/", problem.GetRawText(), StringComparison.Ordinal);
        }

        foreach (var key in new[] { PrivacyApiFactory.Keys[Roles.Partner], PrivacyApiFactory.OtherPartnerKey, PrivacyApiFactory.Keys[Roles.Frontend],
                     PrivacyApiFactory.Keys[Roles.Banner], PrivacyApiFactory.Keys[Roles.Metrics] })
        {
            using var refused = await factory.ClientWithKey(key).GetAsync(query);
            await refused.AssertProblem(ProblemTypes.Forbidden);
        }

        using var anonymous = await factory.Client(null).GetAsync(query);
        await anonymous.AssertProblem(ProblemTypes.Unauthorized);
    }

    [Fact]
    public async Task OnlyAPurposeRestingOnConsentThatTakesTheSubjectGetsALinkAndInvalidQueriesNameTheirField()
    {
        var email = factory.SystemClient("email");
        var customer = TestSubjects.NewCustomer();

        foreach (var (type, purpose) in new[] { ("customer", "customer_obligations"), ("visitor", "third_party_marketing"), ("customer", "no_such_purpose") })
        {
            var id = type == "customer" ? customer : NewVisitorId();
            using var refused = await email.GetAsync($"/consent/unsubscribe-links?subjectType={type}&subjectId={id}&purpose={purpose}");
            var problem = await refused.AssertProblem(ProblemTypes.Refused);
            Assert.Equal(["purpose"], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        }

        using (var marketing = await email.GetAsync($"/consent/unsubscribe-links?subjectType=customer&subjectId={customer}&purpose=third_party_marketing"))
        {
            Assert.Equal(HttpStatusCode.OK, marketing.StatusCode); // another direct-marketing consent purpose may use the links too
        }

        foreach (var (query, field) in new[]
                 {
                     ($"subjectType=partner&subjectId={customer}&purpose=newsletter", "subjectType"),
                     ("subjectType=customer&subjectId=not-a-number&purpose=newsletter", "subjectId"),
                     ($"subjectType=customer&subjectId={customer}", "purpose"),
                 })
        {
            using var invalid = await email.GetAsync($"/consent/unsubscribe-links?{query}");
            Assert.Equal([field], await invalid.AssertValidationErrors());
        }
    }

    [Fact]
    public async Task ARecipientGivenDataUnderTheNewsletterConsentIsToldOfTheOneClickUnsubscribe()
    {
        (await _ops.PostJson("/registry/recipients", new { key = "newsletter-mailer", name = "Newsletter mailer", kind = "processor", country = "SE" }))
            .EnsureSuccessStatusCode();
        (await _ops.PostJson("/registry/links", new { purpose = "newsletter", category = "user.contact.email", recipient = "newsletter-mailer" }))
            .EnsureSuccessStatusCode();
        var customer = TestSubjects.NewCustomer();
        await _ops.Record(Decision("customer", customer, [("newsletter", "granted")]));
        (await factory.Client(Roles.System).PostJson("/disclosures", new
        {
            disclosures = new[]
            {
                new { recipient = "newsletter-mailer", customerNumber = customer, categories = new[] { "user.contact.email" }, purpose = "newsletter",
                      legalGround = "consent", disclosedAt = factory.Time.GetUtcNow() },
            },
        })).EnsureSuccessStatusCode();

        (await MailClient().PostAsync(PathOf((await Links("customer", customer)).Text("url")!), OneClick())).EnsureSuccessStatusCode();

        await using var connection = await factory.OpenDatabaseAsync();
        await using var read = new Npgsql.NpgsqlCommand(
            "SELECT event_type, payload::text FROM privacy.outbox_messages WHERE recipient_key = 'newsletter-mailer'", connection);
        await using var row = await read.ExecuteReaderAsync();
        Assert.True(await row.ReadAsync());
        Assert.Equal("follow_up.consent_withdrawn", row.GetString(0));
        var data = JsonDocument.Parse(row.GetString(1)).RootElement.GetProperty("data");
        Assert.Equal(customer, data.Text("customerNumber"));
        Assert.Equal(["newsletter"], data.GetProperty("purposes").EnumerateArray().Select(p => p.GetString()));
        Assert.False(await row.ReadAsync());
    }

    [Fact]
    public async Task NoCallerRecordsConsentOnTheOneClickUnsubscribeChannelOnlyTheSignedLinkDoes()
    {
        var customer = TestSubjects.NewCustomer();
        using var granted = await _ops.PostJson("/consent/decisions",
            Decision("customer", customer, [("newsletter", "granted")], channel: "one_click_unsubscribe"));
        Assert.Equal(["channel"], await granted.AssertValidationErrors());
        using var withdrawn = await factory.Client(Roles.Frontend).PostJson($"/consent/subjects/customer/{customer}/withdrawals",
            new { purposes = new[] { "newsletter" }, channel = "one_click_unsubscribe", language = "sv" });
        Assert.Equal(["channel"], await withdrawn.AssertValidationErrors());
        using var purpose = await _ops.PostJson("/registry/purposes", new
        {
            key = "sms_offers", name = "Offers by text message", legalBasis = "consent", dataSubjects = new[] { "customer" },
            retention = "Until consent is withdrawn.", consentChannels = new[] { "settings_page", "one_click_unsubscribe" }, directMarketing = true,
        });
        Assert.Equal(["consentChannels[1]"], await purpose.AssertValidationErrors());
        Assert.Empty(await Events("customer", customer));
    }

    private async Task<JsonElement> Links(string type, string id)
    {
        using var response = await factory.SystemClient("email").GetAsync($"/consent/unsubscribe-links?subjectType={type}&subjectId={id}&purpose=newsletter");
        return await response.ReadOk<JsonElement>();
    }

    private async Task<List<JsonElement>> Events(string type, string id) =>
        [.. (await _ops.GetFromJsonAsync<JsonElement>($"/consent/subjects/{type}/{id}/history")).GetProperty("events").EnumerateArray()];

    /// <summary>What a mailbox provider sends: no key, no cookie, its own user agent, from its own address.</summary>
    private HttpClient MailClient()
    {
        var client = LoopbackClient.From(factory.BaseUrl, MailClientAddress, null);
        client.DefaultRequestHeaders.UserAgent.ParseAdd(MailClientAgent);
        return client;
    }

    /// <summary>A person's browser: no key, and HTML first.</summary>
    private HttpClient Browser()
    {
        var client = LoopbackClient.From(factory.BaseUrl, "127.0.0.59", null);
        client.DefaultRequestHeaders.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        return client;
    }

    private static FormUrlEncodedContent OneClick() => new([new("List-Unsubscribe", "One-Click")]);

    /// <summary>The page, after checking what every unsubscribe page must be: HTML, never cached, no referrer, a strict policy.</summary>
    private static async Task<string> Page(HttpResponseMessage response)
    {
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, html);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("form-action 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        // The page's one style block is the only one the policy lets the browser apply: its hash is the policy's.
        var style = StyleBlock().Match(html).Groups[1].Value;
        Assert.Contains($"style-src 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(style)))}'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("http", StyleBlock().Replace(html, ""), StringComparison.Ordinal); // no third-party asset
        return html;
    }

    private static string PathOf(string url) => new Uri(url).AbsolutePath;

    private static string TokenOf(string url) => PathOf(url)["/unsubscribe/".Length..];

    private static string Altered(string part) => part[..5] + (part[5] == 'A' ? 'B' : 'A') + part[6..];

    private static string Base64(string base64Url) =>
        base64Url.Replace('-', '+').Replace('_', '/') + new string('=', (4 - base64Url.Length % 4) % 4);

    [GeneratedRegex("<form method=\"post\" action=\"([^\"]*)\">")]
    private static partial Regex FormAction();

    [GeneratedRegex("<style>(.*?)</style>", RegexOptions.Singleline)]
    private static partial Regex StyleBlock();
}
