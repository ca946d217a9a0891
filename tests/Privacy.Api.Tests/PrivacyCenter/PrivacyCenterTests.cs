using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Privacy.Api.Platform.Problems;
using Privacy.Api.Platform.Security;
using Privacy.Api.PrivacyCenter;
using Privacy.Api.Tests.Infrastructure;
using Privacy.Api.Tests.Requests;

namespace Privacy.Api.Tests.PrivacyCenter;

/// <summary>
/// The privacy center over HTTP as a person without a key (Art 12(2), 12(6)): the one-time code, its limits, what a confirmed
/// address decides and what it does not, the signed status link and the downloads. The browser tests walk the same through the page.
/// </summary>
public sealed class PrivacyCenterTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    [Fact]
    public async Task TheCodeGoesToTheEmailSystemThroughTheOutboxAndIsStoredOnlyAsAKeyedHash()
    {
        var email = PrivacyCenterSupport.NewEmail();

        var id = await factory.AskPrivacyCenter(email, language: "en");

        var sent = Assert.Single(await factory.Sent("email", "rights_request.verification_code", id)).GetProperty("data");
        var code = sent.Text("code")!;
        Assert.Matches("^[0-9]{6}$", code);
        Assert.Equal(email, sent.Text("email"));
        Assert.Equal("en", sent.Text("language"));
        Assert.EndsWith($"/privacy-center?lang=en&request={Guid.Parse(id):N}", sent.Text("enterAt"));
        Assert.Equal(1, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.rights_request_verifications WHERE request_id = $1::uuid AND code_hash <> $2 AND length(code_hash) = 64", id, code));
        Assert.Equal(0, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.rights_request_verifications v WHERE row_to_json(v)::text LIKE '%' || $1 || '%'", code));
        var request = await factory.RequestById(id);
        Assert.Equal("received", request.Text("status"));
        Assert.Equal("privacy_center", request.Text("channel"));
        Assert.Equal(["verification_code"], request.GetProperty("messages").EnumerateArray().Select(m => m.Text("kind")!).ToArray());
    }

    [Fact]
    public async Task ARetriedSubmissionWithTheSameIdempotencyKeyMakesOneRequestAndSendsOneCode()
    {
        var email = PrivacyCenterSupport.NewEmail();
        var key = Guid.NewGuid().ToString();
        var answers = new List<JsonElement>();
        foreach (var address in new[] { email, email, $"other-{email}" })
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, "/privacy-center/requests")
            {
                Content = JsonContent.Create(new { type = "access", subject = new { email = address }, language = "sv" }),
            };
            message.Headers.Add("Idempotency-Key", key);
            using var response = await factory.Client(null).SendAsync(message);
            if (address == email)
            {
                answers.Add(await response.ReadOk<JsonElement>(HttpStatusCode.Accepted));
            }
            else
            {
                await response.AssertProblem(ProblemTypes.IdempotencyKeyReused); // another address never gets the first one's answer
            }
        }

        var id = answers[0].Text("requestId")!;
        Assert.Equal(id, answers[1].Text("requestId"));
        Assert.Single(await factory.CodesSent(id));
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_requests WHERE lower(email) = $1", email));
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_requests WHERE lower(email) = $1", $"other-{email}"));
    }

    [Fact]
    public async Task FiveWrongCodesLockTheRequestCloseItAndTheRightCodeNoLongerOpensIt()
    {
        var id = await factory.AskPrivacyCenter(PrivacyCenterSupport.NewEmail());
        var right = (await factory.CodesSent(id))[0];

        for (var attempt = 1; attempt < 5; attempt++)
        {
            using var wrong = await factory.EnterCode(id, PrivacyCenterSupport.Wrong(right, attempt));
            var problem = await wrong.AssertProblem(ProblemTypes.Refused);
            Assert.Equal(5 - attempt, problem.GetProperty("attemptsLeft").GetInt32());
            Assert.Equal("wrong_code", problem.Text("reason")); // what the page branches on, never the title
            Assert.Contains("code", problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        }

        using var fifth = await factory.EnterCode(id, PrivacyCenterSupport.Wrong(right, 5));
        var locked = await fifth.AssertProblem(ProblemTypes.Conflict);
        Assert.Contains("too many times", locked.Text("detail"));
        Assert.Equal("locked", locked.Text("reason"));
        using var late = await factory.EnterCode(id, right);
        Assert.Equal("not_waiting", (await late.AssertProblem(ProblemTypes.Conflict)).Text("reason"));
        var request = await factory.RequestById(id);
        Assert.Equal("rejected", request.Text("status"));
        Assert.All(request.GetProperty("identifiers").EnumerateArray(), i => Assert.False(i.GetProperty("verified").GetBoolean()));
        Assert.Single(await factory.Sent("email", "rights_request.rejected", id));
        Assert.Empty(request.Tasks());
    }

    [Fact]
    public async Task AnExpiredCodeIsRefusedWithoutCountingAndANewCodeReplacesTheOld()
    {
        var id = await factory.AskPrivacyCenter(PrivacyCenterSupport.NewEmail());
        var first = (await factory.CodesSent(id))[0];
        factory.Time.Advance(TimeSpan.FromMinutes(16));

        using var expired = await factory.EnterCode(id, first);
        var problem = await expired.AssertProblem(ProblemTypes.Refused);
        Assert.Contains("expired", problem.GetProperty("errors").GetProperty("code")[0].GetString());
        Assert.Equal(5, problem.GetProperty("attemptsLeft").GetInt32());
        Assert.Equal("code_expired", problem.Text("reason"));

        using var resent = await factory.Client(null).PostAsync($"/privacy-center/requests/{id}/code", null);
        Assert.Equal(HttpStatusCode.Accepted, resent.StatusCode);
        var codes = await factory.CodesSent(id);
        Assert.Equal(2, codes.Count);
        if (codes[1] != first)
        {
            using var old = await factory.EnterCode(id, first);
            await old.AssertProblem(ProblemTypes.Refused);
        }

        using var confirmed = await factory.EnterCode(id, codes[1]);
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
    }

    [Fact]
    public async Task NewCodesAreLimitedInNumberAndSpacedApart()
    {
        var id = await factory.AskPrivacyCenter(PrivacyCenterSupport.NewEmail());
        var anonymous = factory.Client(null);

        using var tooSoon = await anonymous.PostAsync($"/privacy-center/requests/{id}/code", null);
        Assert.Equal("resend_too_soon", (await tooSoon.AssertProblem(ProblemTypes.RateLimited)).Text("reason"));
        Assert.NotNull(tooSoon.Headers.RetryAfter);
        for (var resend = 0; resend < 3; resend++)
        {
            factory.Time.Advance(TimeSpan.FromMinutes(1));
            using var sent = await anonymous.PostAsync($"/privacy-center/requests/{id}/code", null);
            Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        }

        factory.Time.Advance(TimeSpan.FromMinutes(1));
        using var spent = await anonymous.PostAsync($"/privacy-center/requests/{id}/code", null);
        var limit = await spent.AssertProblem(ProblemTypes.RateLimited);
        Assert.Contains("As many new codes", limit.Text("detail"));
        Assert.Equal("resend_limit", limit.Text("reason"));
        Assert.Equal(4, (await factory.CodesSent(id)).Count);
    }

    [Fact]
    public async Task AConfirmedEmailAloneStartsTheWorkAtOnceForThatAddressAndNoCustomer()
    {
        var email = PrivacyCenterSupport.NewEmail();
        var id = await factory.AskPrivacyCenter(email);

        var statusPath = await factory.Confirm(id);

        var request = await factory.RequestById(id);
        Assert.Equal("in_progress", request.Text("status"));
        Assert.Empty(request.GetProperty("customers").EnumerateArray());
        var tasks = request.Tasks();
        Assert.NotEmpty(tasks);
        Assert.All(tasks, t => Assert.Equal("system", t.Text("targetKind")));
        var emailTask = Assert.Single(await factory.SystemClient("email").GetFromJsonAsync<JsonElement>("/requests/tasks?system=email")
            is var page ? page.GetProperty("items").EnumerateArray().Where(t => t.Text("requestId") == id) : []);
        Assert.Equal(email, emailTask.Text("email"));
        Assert.Empty(emailTask.GetProperty("customerNumbers").EnumerateArray());
        var received = Assert.Single(await factory.Sent("email", "rights_request.received", id)).GetProperty("data");
        var link = received.Text("statusPage")!;
        Assert.StartsWith("https://privacy.test/privacy-center/status/", link, StringComparison.Ordinal);
        Assert.Equal("in_progress", (await factory.StatusOf(link["https://privacy.test".Length..])).Text("status")); // the e-mail's link opens it
        Assert.Equal("in_progress", (await factory.StatusOf(statusPath)).Text("status"));
    }

    [Fact]
    public async Task ACustomerNumberOrPersonnummerGivenWithTheEmailNeverWidensTheRequestUntilOpsConfirmIt()
    {
        var customer = TestSubjects.NewCustomer();
        var personnummer = TestSubjects.NewPersonnummer();
        (await factory.Client(Roles.System).PostJson("/disclosures", new
        {
            disclosures = new[]
            {
                new
                {
                    recipient = "card-provider", customerNumber = customer, nationalIdentityNumber = personnummer, categories = new[] { "user.name" },
                    purpose = "customer_obligations", legalGround = "contract", disclosedAt = factory.Time.GetUtcNow(),
                },
            },
        })).EnsureSuccessStatusCode();
        var id = await factory.AskPrivacyCenter(PrivacyCenterSupport.NewEmail(), "erasure", customer, personnummer);

        var statusPath = await factory.Confirm(id);

        var request = await factory.RequestById(id);
        Assert.Equal("received", request.Text("status"));
        var verified = request.GetProperty("identifiers").EnumerateArray().ToDictionary(i => i.Text("kind")!, i => i.GetProperty("verified").GetBoolean());
        Assert.Equal(new Dictionary<string, bool> { ["customer_number"] = false, ["email"] = true, ["national_identity_number"] = false }, verified);
        Assert.Empty(request.GetProperty("customers").EnumerateArray());
        Assert.Empty(request.Tasks());
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.follow_ups WHERE customer_number = $1", customer));
        Assert.Contains("checking the other details", (await factory.Client(null).GetFromJsonAsync<JsonElement>($"{statusPath}?format=json&lang=en")).Text("state"));

        using var confirmed = await factory.Client(Roles.Ops).PostJson($"/requests/{id}/identity-verification",
            new { method = "Called the customer on the account's phone number", identifiers = new[] { "customer_number" } });
        var started = await confirmed.ReadOk<JsonElement>();
        Assert.Equal("in_progress", started.Text("status"));
        Assert.Equal([customer], started.GetProperty("customers").EnumerateArray().Select(c => c.Text("customerNumber")!).ToArray());
        Assert.Contains(started.Tasks(), t => t.Text("target") == "card-provider");
    }

    [Fact]
    public async Task AnUnknownEmailAndIdentifiersGetExactlyTheSameAnswersPagesAndMessagesAsKnownOnes()
    {
        var known = TestSubjects.NewCustomer();
        await factory.Disclose(known, "card-provider", "customer_obligations", "user.name");

        async Task<string> Walk(string customer)
        {
            using var submitted = await factory.SubmitToPrivacyCenter(PrivacyCenterSupport.NewEmail(), "access", customer);
            var accepted = await submitted.Content.ReadAsStringAsync();
            var id = JsonDocument.Parse(accepted).RootElement.Text("requestId")!;
            using var confirmed = await factory.EnterCode(id, (await factory.CodesSent(id))[0]);
            var statusPath = JsonDocument.Parse(await confirmed.Content.ReadAsStringAsync()).RootElement.Text("statusPath")!;
            var page = await factory.Client(null).GetStringAsync(statusPath);
            var messages = (await factory.RequestById(id)).GetProperty("messages").EnumerateArray().Select(m => m.Text("kind"));
            var fields = (await factory.Sent("email", "rights_request.received", id)).Single().GetProperty("data").EnumerateObject()
                .Select(p => $"{p.Name}:{p.Value.ValueKind}");
            // What differs by nature (ids, codes, tokens, times) is taken out; everything else must be the same.
            return System.Text.RegularExpressions.Regex.Replace($"{(int)submitted.StatusCode} {accepted} {(int)confirmed.StatusCode} {page} " +
                $"{string.Join(",", messages)} {string.Join(",", fields)}",
                @"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Za-z0-9_-]{40,}\.[A-Za-z0-9_-]{16,}|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.+]+", "…");
        }

        Assert.Equal(await Walk(known), await Walk(TestSubjects.NewCustomer()));
    }

    [Fact]
    public async Task AStatusLinkOpensOnlyItsOwnRequestAndNotOnceChanged()
    {
        var first = await factory.Confirm(await factory.AskPrivacyCenter(PrivacyCenterSupport.NewEmail()));
        var second = await factory.Confirm(await factory.AskPrivacyCenter(PrivacyCenterSupport.NewEmail()));
        var anonymous = factory.Client(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(first)).StatusCode);

        var (body1, mac1) = (first.Split('/')[^1].Split('.')[0], first.Split('/')[^1].Split('.')[1]);
        var (body2, _) = (second.Split('/')[^1].Split('.')[0], second.Split('/')[^1].Split('.')[1]);
        foreach (var forged in new[] { $"{body2}.{mac1}", $"{body1}.{mac1[..^2]}AA", body1, $"{body1}.", "not-a-token", $"{body1}.{mac1}.x" })
        {
            using var response = await anonymous.GetAsync($"/privacy-center/status/{forged}");
            var problem = await response.AssertProblem(ProblemTypes.NotFound);
            Assert.DoesNotContain(first.Split('/')[^1], problem.ToString());
        }

        // A link of another kind (made for something else) opens no status page, though it is genuine.
        var other = factory.Services.GetRequiredService<Privacy.Api.Platform.Keys.SignedLinks>()
            .Issue("unsubscribe", JsonDocument.Parse(await anonymous.GetStringAsync($"{first}?format=json")).RootElement.Text("requestId")!.Replace("-", ""), null);
        await (await anonymous.GetAsync($"/privacy-center/status/{other}")).AssertProblem(ProblemTypes.NotFound);
        Assert.Equal("no-store", (await anonymous.GetAsync(first)).Headers.CacheControl?.ToString());
        Assert.Equal("no-referrer", (await anonymous.GetAsync(first)).Headers.GetValues("Referrer-Policy").Single());
    }

    [Fact]
    public async Task TheAccessReportIsDownloadableOnceCompletedForTheWindowOnlyAndEachDownloadIsAudited()
    {
        var id = await factory.AskPrivacyCenter(PrivacyCenterSupport.NewEmail(), language: "en");
        var statusPath = await factory.Confirm(id);
        var anonymous = factory.Client(null);
        await (await anonymous.GetAsync($"{statusPath}/report")).AssertProblem(ProblemTypes.Conflict);
        Assert.Null((await factory.StatusOf(statusPath)).Text("reportUrl"));

        await factory.AnswerEveryTask(id);

        var status = await factory.StatusOf(statusPath);
        Assert.Equal("completed", status.Text("status"));
        Assert.Equal($"{statusPath}/report", status.Text("reportUrl"));
        using var report = await anonymous.GetAsync(status.Text("reportUrl"));
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        Assert.Equal("attachment", report.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Contains("Supervisory", await report.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        await (await anonymous.GetAsync($"{statusPath}/export")).AssertProblem(ProblemTypes.NotFound); // an access request has no export
        Assert.Equal(1, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.audit_entries WHERE action = 'rights_request.report_downloaded' AND entity_id = $1", id));

        factory.Time.Advance(TimeSpan.FromDays(31));
        await (await anonymous.GetAsync($"{statusPath}/report")).AssertProblem(ProblemTypes.NotFound);
        Assert.Null((await factory.StatusOf(statusPath)).Text("reportUrl"));
        Assert.Equal(1, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.audit_entries WHERE action = 'rights_request.report_downloaded' AND entity_id = $1", id));
    }

    [Fact]
    public async Task AnUnconfirmedRequestGetsOneReminderAfterADayAndClosesAfterAWeekAndThePersonIsTold()
    {
        var sweep = factory.Services.GetRequiredService<PrivacyCenterSweep>();
        var id = await factory.AskPrivacyCenter(PrivacyCenterSupport.NewEmail());
        await sweep.RunOnceAsync(CancellationToken.None);
        Assert.Empty(await factory.Sent("email", "rights_request.verification_reminder", id));

        factory.Time.Advance(TimeSpan.FromHours(24));
        await sweep.RunOnceAsync(CancellationToken.None);
        await sweep.RunOnceAsync(CancellationToken.None);
        var reminder = Assert.Single(await factory.Sent("email", "rights_request.verification_reminder", id)).GetProperty("data");
        Assert.Matches("^[0-9]{6}$", reminder.Text("code"));
        Assert.Equal("received", (await factory.RequestById(id)).Text("status"));

        factory.Time.Advance(TimeSpan.FromDays(6));
        await sweep.RunOnceAsync(CancellationToken.None);
        var request = await factory.RequestById(id);
        Assert.Equal("rejected", request.Text("status"));
        Assert.Contains("7", request.Text("resolution"));
        Assert.Single(await factory.Sent("email", "rights_request.rejected", id));
        await sweep.RunOnceAsync(CancellationToken.None);
        Assert.Single(await factory.Sent("email", "rights_request.rejected", id));
        Assert.Single(await factory.Sent("email", "rights_request.verification_reminder", id));
        using var late = await factory.EnterCode(id, reminder.Text("code")!);
        await late.AssertProblem(ProblemTypes.Conflict);
    }

    [Fact]
    public async Task OnlyThePrivacyCenterMakesPrivacyCenterRequestsAndItsCodesOpenNoOtherRequest()
    {
        using var ops = await factory.Client(Roles.Ops).PostJson("/requests", new
        {
            type = "access", subject = new { email = PrivacyCenterSupport.NewEmail() }, channel = "privacy_center",
        });
        Assert.Contains("channel", await ops.AssertValidationErrors());

        var opsRequest = (await factory.SubmitByOps(new { type = "access", subject = new { email = PrivacyCenterSupport.NewEmail() }, channel = "email" })).Text("id")!;
        await (await factory.EnterCode(opsRequest, "123456")).AssertProblem(ProblemTypes.NotFound);
        await (await factory.Client(null).PostAsync($"/privacy-center/requests/{opsRequest}/code", null)).AssertProblem(ProblemTypes.NotFound);

        var customer = TestSubjects.NewCustomer();
        var id = await factory.AskPrivacyCenter(PrivacyCenterSupport.NewEmail(), customerNumber: customer);
        await factory.Confirm(id);
        using var website = await factory.WebsiteFor(customer).GetAsync($"/requests/{id}");
        await website.AssertProblem(ProblemTypes.NotFound); // the sign-in did not make it: it is not the website's
    }

    [Fact]
    public async Task ASubmissionNeedsAnEmailAddressAndValidIdentifiersAndNamesEachField()
    {
        using var none = await factory.Client(null).PostJson("/privacy-center/requests", new { type = "access", subject = new { customerNumber = "100234" } });
        Assert.Contains("subject.email", await none.AssertValidationErrors());
        using var bad = await factory.SubmitToPrivacyCenter("not-an-address", nationalIdentityNumber: "19900101-0000");
        var fields = await bad.AssertValidationErrors();
        Assert.Contains("subject.email", fields);
        Assert.Contains("subject.nationalIdentityNumber", fields);
        using var purpose = await factory.SubmitToPrivacyCenter(PrivacyCenterSupport.NewEmail(), "objection", purpose: "customer_obligations");
        await purpose.AssertProblem(ProblemTypes.Refused); // a contract's processing carries no right to object
        using var code = await factory.EnterCode(Guid.NewGuid().ToString(), "12345");
        Assert.Contains("code", await code.AssertValidationErrors());
    }

    [Fact]
    public async Task TheDevelopmentMailboxIsOffOutsideDevelopment() =>
        await (await factory.Client(null).GetAsync("/development/mailbox")).AssertProblem(ProblemTypes.NotFound);
}
