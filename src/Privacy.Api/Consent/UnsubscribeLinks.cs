using System.Buffers.Text;
using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;
using Npgsql;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Keys;
using Privacy.Api.Platform.Security;
using Privacy.Api.PrivacyCenter;
using Privacy.Api.Registry;
using Privacy.Api.Requests;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Privacy.Api.Consent;

/// <summary>Whose consent to which purpose an unsubscribe link withdraws.</summary>
public sealed record UnsubscribeSubject(string Purpose, SubjectType Type, string Id);

/// <summary>
/// Makes and opens unsubscribe links. The subject and purpose are encrypted (AES-GCM under a key derived from the current
/// secret-encryption data key) before <see cref="SignedLinks"/> seals them, so the link is opaque: a customer number or visitor id
/// never stands readable in a URL that mail providers, scanners and proxies see and log. No expiry (a newsletter from last year
/// still unsubscribes); retiring the data key the link was made under ends it, like every signed link.
/// </summary>
public sealed class UnsubscribeLinks(SignedLinks links, DataKeyring keyring, IOptions<PrivacyCenterOptions> options)
{
    /// <summary>The signed-link kind: a status-page link never opens an unsubscribe, nor the other way round.</summary>
    public const string Kind = "unsubscribe";

    private static readonly byte[] Label = "unsubscribe-subject"u8.ToArray();

    /// <summary>The absolute link: <c>{PrivacyCenter:PublicUrl}/unsubscribe/{token}</c>.</summary>
    public string Url(UnsubscribeSubject subject) => $"{options.Value.EffectivePublicUrl}/unsubscribe/{Token(subject)}";

    public string Token(UnsubscribeSubject subject)
    {
        var key = keyring.Current(DataKeyUse.SecretEncryption);
        var plain = Encoding.UTF8.GetBytes($"{subject.Purpose}\n{UnsubscribeApi.Wire(subject.Type)}\n{subject.Id}");
        var sealedBytes = new byte[12 + 16 + plain.Length];
        RandomNumberGenerator.Fill(sealedBytes.AsSpan(0, 12));
        using (var aes = new AesGcm(key.Derive(Label), 16))
        {
            aes.Encrypt(sealedBytes.AsSpan(0, 12), plain, sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16), Label);
        }

        return links.Issue(Kind, $"{key.Id}.{Base64Url.EncodeToString(sealedBytes)}", expires: null);
    }

    /// <summary>What a genuine unsubscribe token names; null for anything else, whatever the reason.</summary>
    public UnsubscribeSubject? Read(string? token)
    {
        if (links.Read(Kind, token)?.Subject.Split('.') is not [var keyId, var encoded]
            || keyring.Find(DataKeyUse.SecretEncryption, keyId) is not { } key)
        {
            return null;
        }

        try
        {
            var sealedBytes = Base64Url.DecodeFromChars(encoded);
            if (sealedBytes.Length <= 28)
            {
                return null;
            }

            var plain = new byte[sealedBytes.Length - 28];
            using (var aes = new AesGcm(key.Derive(Label), 16))
            {
                aes.Decrypt(sealedBytes.AsSpan(0, 12), sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16), plain, Label);
            }

            return Encoding.UTF8.GetString(plain).Split('\n') is [var purpose, var type, var id] && UnsubscribeApi.ParseSubjectType(type) is { } subjectType
                ? new UnsubscribeSubject(purpose, subjectType, id)
                : null;
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            return null; // sealed by the link's MAC, so only a link made with a broken key gets here
        }
    }
}

/// <summary>The two header values of a subscriber's mail, ready to use, and the bare link.</summary>
/// <param name="ListUnsubscribe">The <c>List-Unsubscribe</c> header: the HTTPS link in angle brackets (RFC 2369, RFC 8058).</param>
/// <param name="ListUnsubscribePost">The <c>List-Unsubscribe-Post</c> header: always <c>List-Unsubscribe=One-Click</c>.</param>
/// <param name="Url">The link itself, e.g. for an unsubscribe link in the mail's footer.</param>
public sealed record UnsubscribeLinksResponse(string ListUnsubscribe, string ListUnsubscribePost, string Url);

/// <summary>The answer to a one-click post: <c>unsubscribed</c>, whether now or before.</summary>
public sealed record UnsubscribedResponse(string Status, string Purpose);

/// <summary>Marks the endpoint that takes the one-click form of RFC 8058 (<see cref="OneClickFormOperationFilter"/> documents it).</summary>
internal sealed class OneClickFormMetadata;

/// <summary>Documents the one-click form body: the field <c>List-Unsubscribe</c> with the value <c>One-Click</c>, in either form encoding.</summary>
internal sealed class OneClickFormOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (!context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<OneClickFormMetadata>().Any())
        {
            return;
        }

        OpenApiMediaType Form() => new()
        {
            Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Required = new HashSet<string> { UnsubscribeApi.OneClickField },
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    [UnsubscribeApi.OneClickField] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String,
                        Enum = [JsonValue.Create(UnsubscribeApi.OneClickValue)],
                        Description = "RFC 8058: always `One-Click`.",
                    },
                },
            },
        };
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "The one-click form of RFC 8058, as a mail client posts it.",
            Content = new Dictionary<string, IOpenApiMediaType>
            {
                ["application/x-www-form-urlencoded"] = Form(),
                ["multipart/form-data"] = Form(),
            },
        };
    }
}
