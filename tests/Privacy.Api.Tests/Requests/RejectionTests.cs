using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Requests;

/// <summary>
/// Art 12(4)–(5): a request may be refused on the grounds the law allows, also once the identity is verified; the requester is
/// told the reasons, the right to complain to IMY and the right to a judicial remedy, in their language.
/// </summary>
public sealed class RejectionTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    [Theory]
    [InlineData("sv", "Du har rätt att klaga hos Integritetsskyddsmyndigheten (IMY), Box 8114, 104 20 Stockholm, https://www.imy.se.", "allmän domstol")]
    [InlineData("en", "lodge a complaint with the Swedish Authority for Privacy Protection, Integritetsskyddsmyndigheten (IMY), Box 8114, 104 20 Stockholm", "before the courts")]
    public async Task AnExcessiveRequestIsRejectedAfterVerificationAndTheRequesterIsToldOfImyAndTheCourts(string language, string complaint, string court)
    {
        var customer = TestSubjects.NewCustomer();
        var id = (await factory.SubmitByOps(new { type = "access", channel = "email", subject = new { customerNumber = customer, email = "anna@example.com" }, language })).Text("id")!;
        var verified = await factory.Verify(id);
        Assert.Equal("in_progress", verified.Text("status"));
        var pending = verified.Tasks().Where(t => t.Text("status") == "pending").ToList();
        Assert.NotEmpty(pending);

        // Act: once verified, ops find it excessive (the fourth identical request this month).
        using var rejected = await _ops.PostJson($"/requests/{id}/rejection", new { ground = "excessive", reason = "The fourth identical request this month" });
        var body = await rejected.ReadOk<JsonElement>();

        // Assert: rejected with the reason; its open tasks cancelled, and no longer in the systems' lists.
        Assert.Equal("rejected", body.Text("status"));
        Assert.EndsWith("The fourth identical request this month", body.Text("resolution"));
        Assert.All(body.Tasks(), t => Assert.Equal("cancelled", t.Text("status")));
        var booking = await factory.SystemClient("booking").GetFromJsonAsync<JsonElement>("/requests/tasks");
        Assert.DoesNotContain(booking.GetProperty("items").EnumerateArray(), t => t.Text("requestId") == id);
        Assert.NotEmpty(await factory.Sent("booking", "rights_request.task_cancelled", id));

        // The requester is told, through the e-mail system, with the reasons, IMY and the courts; the message is on the request's log.
        var sent = Assert.Single(await factory.Sent("email", "rights_request.rejected", id));
        var notice = sent.GetProperty("data").GetProperty("notice");
        Assert.Contains(complaint, notice.Text("text"));
        Assert.Contains(court, notice.Text("text"));
        Assert.Contains("The fourth identical request this month", notice.Text("reasons"));
        Assert.Equal("https://www.imy.se", notice.GetProperty("authority").Text("website"));
        var messages = (await factory.RequestById(id)).GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["received", "rejected"], messages.Select(m => m.Text("kind")));
        Assert.Equal(sent.GetProperty("messageId").GetGuid(), messages[1].GetProperty("outboxMessageId").GetGuid());
        Assert.All(messages, m => Assert.Equal(language, m.Text("language")));
    }

    [Fact]
    public async Task ARejectionGroundMustFitTheRequest()
    {
        var customer = TestSubjects.NewCustomer();
        var access = (await factory.SubmitByOps(new { type = "access", channel = "email", subject = new { customerNumber = customer } })).Text("id")!;

        using var notAnObjection = await _ops.PostJson($"/requests/{access}/rejection", new { ground = "compelling_legitimate_grounds", reason = "We need it" });
        var problem = await notAnObjection.AssertProblem(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("objection", problem.GetProperty("errors").GetProperty("ground")[0].GetString());
        using var notAnErasure = await _ops.PostJson($"/requests/{access}/rejection", new { ground = "erasure_exception", reason = "Archive" });
        await notAnErasure.AssertProblem(HttpStatusCode.UnprocessableEntity);
        Assert.Equal("received", (await factory.RequestById(access)).Text("status"));
    }

    [Fact]
    public async Task AnErasurePartlyCarriedOutCannotBeRejectedOnlyClosed()
    {
        var customer = TestSubjects.NewCustomer();
        var id = (await factory.SubmitByOps(new { type = "erasure", channel = "letter", subject = new { customerNumber = customer } })).Text("id")!;
        await factory.Verify(id); // the service's own data is erased at once

        using var rejected = await _ops.PostJson($"/requests/{id}/rejection", new { ground = "manifestly_unfounded", reason = "Changed our minds" });

        await rejected.AssertProblem(HttpStatusCode.Conflict);
        Assert.Equal("in_progress", (await factory.RequestById(id)).Text("status"));
    }

    [Fact]
    public async Task AnUnconfirmedIdentityIsAGroundOnlyBeforeTheIdentityIsConfirmed()
    {
        var customer = TestSubjects.NewCustomer();
        var id = (await factory.SubmitByOps(new { type = "access", channel = "email", subject = new { customerNumber = customer } })).Text("id")!;
        await factory.Verify(id);

        using var rejected = await _ops.PostJson($"/requests/{id}/rejection", new { ground = "identity_not_confirmed", reason = "No reply" });

        await rejected.AssertProblem(HttpStatusCode.Conflict);
    }
}
