using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Privacy.Api.Platform.Security;

namespace Privacy.Api.Tests.Platform;

/// <summary>
/// Outside Development every system key is bound to one internal system (ApiKeys:Keys:N:System), or the service does not
/// start. Checked through the service's own registration and the start-up validation the host runs (IStartupValidator,
/// what ValidateOnStart registers), not by starting a host: a host failing its start inside WebApplicationFactory sometimes
/// surfaces as ObjectDisposedException (see NotifierOptionsTests).
/// </summary>
public sealed class SystemKeyBindingTests
{
    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public void OutsideDevelopmentTheServiceRefusesToStartWithASystemKeyBoundToNoSystem(string environment)
    {
        using var services = Services(environment, ("booking-sync", "booking"), ("integration-hub", null));

        var refused = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("API key 'integration-hub' is a system key without a System", refused.Message);
        Assert.Contains("ApiKeys:Keys:N:System", refused.Message);
        Assert.DoesNotContain("booking-sync", refused.Message); // the bound one is fine
        Assert.DoesNotContain(ApiKeyAuthentication.Hash("integration-hub-key"), refused.Message);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public void OutsideDevelopmentBoundSystemKeysStart(string environment)
    {
        using var services = Services(environment, ("booking-sync", "booking"), ("accounting-sync", "accounting"));

        services.GetRequiredService<IStartupValidator>().Validate();

        Assert.All(services.GetRequiredService<IOptions<ApiKeyOptions>>().Value.Keys, k => Assert.NotNull(k.System));
    }

    [Fact]
    public void InDevelopmentAnUnboundSystemKeyStartsAndTheDevelopmentSystemKeyIsOne()
    {
        using var services = Services("Development", ("integration-hub", null));

        services.GetRequiredService<IStartupValidator>().Validate();

        var keys = services.GetRequiredService<IOptions<ApiKeyOptions>>().Value.Keys;
        Assert.Null(keys.Single(k => k.Id == "integration-hub").System);
        Assert.Null(keys.Single(k => k.Id == "dev-system").System); // dev-system-key acts for every system, on a local machine only
    }

    private static ServiceProvider Services(string environment, params (string Id, string? System)[] systemKeys)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < systemKeys.Length; i++)
        {
            settings[$"ApiKeys:Keys:{i}:Id"] = systemKeys[i].Id;
            settings[$"ApiKeys:Keys:{i}:Role"] = Roles.System;
            settings[$"ApiKeys:Keys:{i}:Hash"] = ApiKeyAuthentication.Hash($"{systemKeys[i].Id}-key");
            settings[$"ApiKeys:Keys:{i}:System"] = systemKeys[i].System;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddApiKeyAuthentication();
        return builder.Services.BuildServiceProvider();
    }
}
