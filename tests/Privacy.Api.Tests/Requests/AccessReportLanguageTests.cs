using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Consent;
using Privacy.Api.Tests.Infrastructure;
using static Privacy.Api.Tests.Requests.AccessReportData;

namespace Privacy.Api.Tests.Requests;

/// <summary>
/// The access report a person can understand (Art 12(1), Art 15(1)–(3)): in the request's language, only what concerns the
/// person, no machine keys, the statement on automated decisions, and the copy of what the systems returned.
/// </summary>
public sealed class AccessReportLanguageTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    private Task<string> Html(string customer, string id) => factory.WebsiteFor(customer).GetStringAsync($"/requests/{id}/report?format=html");

    private Task<JsonElement> Json(string customer, string id) => factory.WebsiteFor(customer).GetFromJsonAsync<JsonElement>($"/requests/{id}/report");

    [Fact]
    public async Task TheSwedishReportHoldsNoRegistryKeyEnumNameOrIsoPeriodAndSaysNoDecisionIsAutomated()
    {
        var (customer, id) = await RichCustomerAsync(factory, "sv");

        var html = await Html(customer, id);

        Assert.Empty(MachineText.Found(html, [.. await MachineText.RegistryKeysAsync(_ops), .. MachineText.EnumNames()]));
        Assert.Contains("Vi fattar inga beslut som enbart grundas på automatiserad behandling, inklusive profilering, och som har rättsliga följder för dig", html);
        // What the report used to print: the legal basis and the retention trigger by name, the categories and purposes by key.
        Assert.DoesNotContain("LegitimateInterests", html);
        Assert.DoesNotContain("user.", html);
        Assert.DoesNotContain("P7Y", html);
        Assert.Contains("Avtal", html); // the legal basis in words
        Assert.Contains("sju år efter utgången av det kalenderår då transaktionen gjordes, därefter raderas uppgifterna (Bokföringslagen (1999:1078) 7 kap. 2 §).", html);
        Assert.Contains("Vår leverantör av kort- och kommunikationstjänster", html);
        Assert.Contains("Sverige", html);
        Assert.Contains("inom EU/EES", html);
        // Every right, the absolute one to object to direct marketing, the complaint to IMY and the courts; who the controller is.
        foreach (var text in new[]
                 {
                     "Rättelse och komplettering", "Radering", "Begränsning", "Dataportabilitet", "Invändning mot direktmarknadsföring",
                     "Du behöver inte ange något skäl, och vi slutar direkt", "Återkalla samtycke", "Integritetsskyddsmyndigheten",
                     "Box 8114, 104 20 Stockholm", "www.imy.se", "allmän förvaltningsdomstol", "allmän domstol", "Smultronsites AB",
                     "Årevägen 35E", "837 52 Åre", "hello@smultronsites.com",
                 })
        {
            Assert.Contains(text, html);
        }
    }

    [Fact]
    public async Task OnlyThePurposesThatConcernTheCustomerAppearAndTheServicesOwnStoresAreOneParagraph()
    {
        var customer = TestSubjects.NewCustomer();
        await Disclose(factory, "card-provider", customer, "customer_obligations", ["user.financial.credit_card"], factory.Time.GetUtcNow().AddDays(-1));
        await factory.Client(Roles.Frontend).Record(ConsentRequests.Decision("customer", customer, [("newsletter", "granted"), ("publication", "denied")]));
        var id = await Submit(factory, customer, "sv");
        await Answer(factory, "booking", id, new { bookings = new[] { new { reference = "BK-1" } } });

        var report = await Json(customer, id);
        var html = await Html(customer, id);

        var purposes = report.GetProperty("purposes").EnumerateArray().Select(p => p.GetProperty("key").GetString()).ToList();
        Assert.Contains("customer_obligations", purposes); // disclosed, and the booking system holds data for it
        Assert.Contains("newsletter", purposes);           // consent given
        Assert.DoesNotContain("publication", purposes);    // consent refused
        Assert.DoesNotContain("third_party_marketing", purposes);
        Assert.DoesNotContain("anonymous_statistics", purposes); // no system returned usage data, nothing was disclosed for it
        Assert.DoesNotContain("Statistik till tredje parter", html);
        Assert.DoesNotContain("<th scope=\"row\">Publicering av det du skickar in", html); // (its refusal is in the consent history)
        foreach (var own in new[] { "consent_proof", "rights_request_records", "notification_delivery", "request_deduplication" })
        {
            Assert.DoesNotContain(own, purposes);
        }

        Assert.DoesNotContain("<th scope=\"row\">Bevis om samtycke", html); // not a purpose …
        Assert.Contains("Det gäller bevis om samtycke (", report.GetProperty("ownProcessing").GetString());
        Assert.Contains(", eller ett år efter att ditt samtycke upphört, därefter raderas uppgifterna", report.GetProperty("ownProcessing").GetString());
        Assert.Contains("hantering av dina begäranden (tre år efter att ärendet avslutats, därefter avidentifieras uppgifterna)", html); // … one paragraph

        // A customer nothing is known about: no purpose at all.
        var stranger = TestSubjects.NewCustomer();
        var nothing = await Json(stranger, await Submit(factory, stranger, "sv"));
        Assert.Equal(0, nothing.GetProperty("purposes").GetArrayLength());
        Assert.Equal(0, nothing.GetProperty("categories").GetArrayLength());
    }

    [Fact]
    public async Task TheCopyShowsWhatEachSystemReturnedUnderFieldLabels()
    {
        var (customer, id) = await RichCustomerAsync(factory, "sv");

        var html = await Html(customer, id);
        var report = await Json(customer, id);

        Assert.Contains("<h3>Bokning och kundtjänst</h3>", html);
        Assert.Contains("<dt>Telefonnummer</dt><dd>070-123 45 67</dd>", html); // the key phone_number under the category's name
        Assert.Contains("<dt>Namn</dt><dd>Astrid Lindqvist</dd>", html);
        Assert.Contains("<th scope=\"col\">Referens</th>", html);              // a list of bookings as a table
        foreach (var cell in new[] { "BK-7", "2026-07-01", "Åreskutan sunrise", "BK-9", "F-2026-118", "1 450 kr", "Ja" })
        {
            Assert.Contains($"<td>{cell}</td>", html);
        }

        Assert.Contains("<dt>Organisationsnummer</dt><dd>556677-8899</dd>", html);
        Assert.Contains("<li>Skiing</li>", html);
        Assert.Contains("Uppgifterna har inte hämtats ännu", html); // the e-mail system has not answered
        Assert.DoesNotContain("{&quot;", html);
        Assert.DoesNotContain("\"reference\"", html);
        var booking = Assert.Single(report.GetProperty("systemData").EnumerateArray(), s => s.GetProperty("system").GetString() == "booking");
        Assert.Equal("BK-7", booking.GetProperty("data").GetProperty("bookings")[0].GetProperty("reference").GetString()); // the JSON keeps the data as returned
        Assert.Equal("Telefonnummer", booking.GetProperty("fields").EnumerateArray().Single(f => f.GetProperty("key").GetString() == "phone_number")
            .GetProperty("label").GetString());
    }

    [Fact]
    public async Task TheEnglishReportIsInEnglish()
    {
        var (customer, id) = await RichCustomerAsync(factory, "en");

        var html = await Html(customer, id);

        Assert.Contains("<html lang=\"en\">", html);
        foreach (var text in new[]
                 {
                     "Access report", "Why we process your data", "Contract with you", "E-mail address", "Our card and communication service provider",
                     "Sweden", "in the EU/EEA", "seven years after the end of the calendar year in which the transaction took place, then the data is erased (Bokföringslagen (1999:1078) 7 kap. 2 §).",
                     "We make no decisions based solely on automated processing, including profiling", "Objection to direct marketing",
                     "Phone number", "Bookings and customer service", "right to complain", "general administrative courts",
                 })
        {
            Assert.Contains(text, html);
        }

        foreach (var swedish in new[] { "Ändamål", "Rättslig grund", "Uppgifter", "Samtycke", "Kundnummer", "sparas", "Telefonnummer", "Avtal", "Sverige" })
        {
            Assert.DoesNotContain(swedish, html);
        }

        // No key with a separator, no enum name of two words, no ISO period (one-word enum names are English words here).
        var keys = (await MachineText.RegistryKeysAsync(_ops)).Where(k => k.IndexOfAny(['.', '_', '-']) >= 0);
        var names = MachineText.EnumNames().Where(n => n.Contains('_') || n.Count(char.IsUpper) > 1);
        Assert.Empty(MachineText.Found(html, [.. keys, .. names]));
    }

    [Fact]
    public async Task AnOpsAddedPurposeWithoutTranslationsFallsBackToItsNameAndIsListedAsMissingThem()
    {
        var key = $"guest-reviews-{Guid.NewGuid():N}"[..24];
        using var created = await _ops.PostJson("/registry/purposes", new
        {
            key, name = "Guest reviews of guided tours", legalBasis = "consent", dataSubjects = new[] { "customer" }, retention = "Until withdrawn.",
            consentChannels = new[] { "settings_page", "ops" },
        });
        var purpose = await created.ReadOk<JsonElement>(HttpStatusCode.Created);
        Assert.Equal(["nameSv", "nameEn", "descriptionSv", "descriptionEn"], purpose.GetProperty("missingTranslations").EnumerateArray().Select(m => m.GetString()));
        Assert.Empty((await _ops.GetFromJsonAsync<JsonElement>("/registry/purposes/newsletter")).GetProperty("missingTranslations").EnumerateArray());
        (await _ops.PostJson("/registry/links", new { purpose = key, category = "user.name" })).EnsureSuccessStatusCode();
        var customer = TestSubjects.NewCustomer();
        await factory.Client(Roles.Frontend).Record(ConsentRequests.Decision("customer", customer, [(key, "granted")]));

        var id = await Submit(factory, customer, "sv");
        var html = await Html(customer, id);

        Assert.Contains("<th scope=\"row\">Guest reviews of guided tours", html); // the name, until a Swedish one is given
        Assert.DoesNotContain(key, html);

        // Texts are validated, and once given the report uses them and nothing is missing.
        using var blank = await _ops.PutAsJsonAsync($"/registry/purposes/{key}", new
        {
            key, name = "Guest reviews of guided tours", legalBasis = "consent", dataSubjects = new[] { "customer" }, retention = "Until withdrawn.",
            consentChannels = new[] { "settings_page", "ops" }, nameSv = " ", nameEn = key,
        });
        Assert.Equal(["nameEn", "nameSv"], (await blank.AssertValidationErrors()).Order());
        using var updated = await _ops.PutAsJsonAsync($"/registry/purposes/{key}", new
        {
            key, name = "Guest reviews of guided tours", legalBasis = "consent", dataSubjects = new[] { "customer" }, retention = "Until withdrawn.",
            consentChannels = new[] { "settings_page", "ops" }, nameSv = "Omdömen om guidade turer", nameEn = "Reviews of guided tours",
            descriptionSv = "Vi publicerar ditt omdöme om du ger oss tillstånd.", descriptionEn = "We publish your review if you allow it.",
        });
        Assert.Empty((await updated.ReadOk<JsonElement>()).GetProperty("missingTranslations").EnumerateArray());
        Assert.Contains("<th scope=\"row\">Omdömen om guidade turer<span class=\"note\">Vi publicerar ditt omdöme om du ger oss tillstånd.</span>",
            await Html(customer, id));
    }
}
