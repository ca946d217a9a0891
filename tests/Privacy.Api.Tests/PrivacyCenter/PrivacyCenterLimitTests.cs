using Privacy.Api.Platform.Problems;
using Privacy.Api.Tests.Infrastructure;
using Privacy.Api.Tests.Requests;

namespace Privacy.Api.Tests.PrivacyCenter;

/// <summary>A service whose privacy center takes 6 requests per client address and 2 per e-mail address.</summary>
public sealed class LimitedPrivacyCenterFactory : PrivacyApiFactory
{
    public LimitedPrivacyCenterFactory() =>
        WithSetting("PrivacyCenter:RateLimitPermits", "6").WithSetting("PrivacyCenter:RateLimitWindow", "01:00:00")
            .WithSetting("PrivacyCenter:EmailLimitPermits", "2");
}

/// <summary>The privacy center's limits: per e-mail address, whoever asks, and per client address; each refusal a problem document.</summary>
public sealed class PrivacyCenterLimitTests(LimitedPrivacyCenterFactory factory) : IClassFixture<LimitedPrivacyCenterFactory>
{
    [Fact]
    public async Task RequestsAreLimitedPerEmailAddressAndPerClientAddress()
    {
        var email = PrivacyCenterSupport.NewEmail();
        for (var i = 0; i < 2; i++)
        {
            await factory.AskPrivacyCenter(email);
        }

        using var perEmail = await factory.SubmitToPrivacyCenter(email.ToUpperInvariant()); // the same address, however written
        Assert.Contains("e-mail address", (await perEmail.AssertProblem(ProblemTypes.RateLimited)).Text("detail"));
        Assert.NotNull(perEmail.Headers.RetryAfter);
        Assert.Equal(2, await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_requests WHERE lower(email) = $1", email));

        for (var i = 0; i < 3; i++)
        {
            await factory.AskPrivacyCenter(PrivacyCenterSupport.NewEmail());
        }

        using var perClient = await factory.SubmitToPrivacyCenter(PrivacyCenterSupport.NewEmail());
        Assert.Contains("client address", (await perClient.AssertProblem(ProblemTypes.RateLimited)).Text("detail"));
        using var codes = await factory.EnterCode(Guid.NewGuid().ToString(), "123456"); // code entries share the budget
        await codes.AssertProblem(ProblemTypes.RateLimited);
    }
}
