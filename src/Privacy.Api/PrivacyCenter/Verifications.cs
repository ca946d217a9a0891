using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Privacy.Api.Disclosures;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Keys;
using Privacy.Api.Requests;

namespace Privacy.Api.PrivacyCenter;

/// <summary>What a code entry came to.</summary>
public enum CodeCheck
{
    /// <summary>The right code, in time: the e-mail address is confirmed.</summary>
    Verified,

    /// <summary>A wrong code; attempts remain.</summary>
    Wrong,

    /// <summary>The code was right once but is past its validity: ask for a new one.</summary>
    Expired,

    /// <summary>The last allowed wrong code: the request is locked and closed.</summary>
    Locked,

    /// <summary>No code opens this request any more (confirmed already, locked, or closed).</summary>
    Closed,
}

/// <summary>
/// The one-time codes of privacy-center requests, in one place: issuing one (stored as a keyed hash, sent through the outbox to
/// the e-mail system like every message to a requester), checking an entry, and the limits on both. Joins the caller's transaction.
/// </summary>
public sealed class Verifications(
    PrivacyDbContext db, EgressGate gate, DataKeyring keyring, StatusLinks links, TimeProvider time, IOptions<PrivacyCenterOptions> options,
    IOptions<RequestsOptions> requests)
{
    /// <summary>Who acts when the person acts in the privacy center (the request's submitter, and the actor of its transitions).</summary>
    public const string Actor = "privacy-center";

    /// <summary>The keyed hash of an e-mail address as the per-address limit counts it (trimmed, case-insensitive).</summary>
    public string EmailKey(string email) => Convert.ToHexStringLower(HMACSHA256.HashData(
        keyring.Current(DataKeyUse.SecretEncryption).Derive("privacy-center-email"u8), Encoding.UTF8.GetBytes(email.Trim().ToLowerInvariant())));

    /// <summary>Requests made for this e-mail address within the window (from any client address).</summary>
    public Task<int> RecentForAsync(string emailKey, CancellationToken cancellationToken)
    {
        var since = time.GetUtcNow() - options.Value.EmailLimitWindow;
        return db.Set<RequestVerification>().CountAsync(v => v.EmailKey == emailKey && v.CreatedAt > since, cancellationToken);
    }

    /// <summary>A new request's verification, and its first code sent to the address given.</summary>
    public async Task<RequestVerification> StartAsync(RightsRequest request, string emailKey, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var verification = new RequestVerification { RequestId = request.Id, EmailKey = emailKey, CodeHash = "", CodeSalt = [], CreatedAt = now };
        db.Add(verification);
        await SendCodeAsync(request, verification, "verification_code", cancellationToken);
        return verification;
    }

    /// <summary>A new code the person asked for: the old one stops working. False when the limit or the interval refuses it.</summary>
    public async Task<bool> ResendAsync(RightsRequest request, RequestVerification verification, CancellationToken cancellationToken)
    {
        if (!verification.Open || verification.Resends >= options.Value.MaxResends
            || verification.CodeIssuedAt + options.Value.ResendInterval > time.GetUtcNow())
        {
            return false;
        }

        verification.Resends++;
        await SendCodeAsync(request, verification, "verification_code", cancellationToken);
        return true;
    }

    /// <summary>The one reminder of an unconfirmed request, with a new code (it does not count as a resend).</summary>
    public async Task RemindAsync(RightsRequest request, RequestVerification verification, CancellationToken cancellationToken)
    {
        verification.RemindedAt = time.GetUtcNow();
        await SendCodeAsync(request, verification, "verification_reminder", cancellationToken);
    }

    /// <summary>Checks an entered code. A wrong one counts; at <see cref="PrivacyCenterOptions.MaxAttempts"/> the request is locked.</summary>
    public CodeCheck Check(RequestVerification verification, string code)
    {
        var now = time.GetUtcNow();
        if (!verification.Open)
        {
            return CodeCheck.Closed;
        }

        if (OneTimeCodes.Matches(verification, code))
        {
            if (verification.CodeExpiresAt <= now)
            {
                return CodeCheck.Expired;
            }

            verification.VerifiedAt = now;
            return CodeCheck.Verified;
        }

        verification.Attempts++;
        if (verification.Attempts < options.Value.MaxAttempts)
        {
            return CodeCheck.Wrong;
        }

        (verification.LockedAt, verification.ClosedAt) = (now, now);
        return CodeCheck.Locked;
    }

    /// <summary>Wrong codes still allowed.</summary>
    public int AttemptsLeft(RequestVerification verification) => Math.Max(0, options.Value.MaxAttempts - verification.Attempts);

    /// <summary>
    /// A new code for the request, valid for <see cref="PrivacyCenterOptions.CodeValidity"/>, sent to the e-mail system through the
    /// egress gate (which gives it only the categories it holds) and recorded as a message of the request.
    /// </summary>
    private async Task SendCodeAsync(RightsRequest request, RequestVerification verification, string kind, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var code = OneTimeCodes.New();
        (verification.CodeHash, verification.CodeSalt) = OneTimeCodes.Hash(request.Id, code);
        (verification.CodeIssuedAt, verification.CodeExpiresAt) = (now, now + options.Value.CodeValidity);
        var system = requests.Value.NotificationSystem;
        var release = await gate.ForSystemAsync(system, cancellationToken);
        var messageId = Guid.CreateVersion7(now);
        gate.Send(release, "rights_request." + kind, new
        {
            requestId = request.Id,
            type = request.Type,
            language = request.Language,
            email = release.Value(RequestWorkflow.EmailCategory, request.Email),
            code,
            expiresAt = verification.CodeExpiresAt,
            validMinutes = (int)options.Value.CodeValidity.TotalMinutes,
            // Where the person enters it, if they closed the page: the privacy center opens the request's code entry.
            enterAt = links.CodeEntryUrl(request.Id, request.Language),
        }, request.Id.ToString(), $"rights-request:{request.Id}", Actor, messageId);
        request.Messages.Add(new RequestMessage
        {
            RequestId = request.Id, Kind = kind, Channel = system, Language = request.Language, At = now, OutboxMessageId = messageId,
        });
    }
}

/// <summary>
/// The links in messages to a requester: the status page of a request, by a signed link that expires
/// (<see cref="PrivacyCenterOptions.StatusLinkValidity"/>), and the privacy center's code entry.
/// </summary>
public sealed class StatusLinks(SignedLinks signed, TimeProvider time, IOptions<PrivacyCenterOptions> options)
{
    public const string Kind = "request-status";

    /// <summary>The status page's path for <paramref name="requestId"/> (a new token, valid from now).</summary>
    public string Path(Guid requestId) =>
        $"/privacy-center/status/{signed.Issue(Kind, requestId.ToString("N"), time.GetUtcNow() + options.Value.StatusLinkValidity)}";

    /// <summary>The status page's address for <paramref name="requestId"/>, at the service's public address.</summary>
    public string Url(Guid requestId) => options.Value.EffectivePublicUrl + Path(requestId);

    /// <summary>The privacy center's page for entering the code of <paramref name="requestId"/>.</summary>
    public string CodeEntryUrl(Guid requestId, string language) => $"{options.Value.EffectivePublicUrl}/privacy-center?lang={language}&request={requestId:N}";

    /// <summary>The request a status token opens, or null when it is not genuine or has expired.</summary>
    public Guid? Read(string? token) =>
        signed.Read(Kind, token) is { } link && Guid.TryParseExact(link.Subject, "N", out var id) ? id : null;
}
