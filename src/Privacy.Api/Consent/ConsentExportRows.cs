using System.Buffers;
using System.IO.Pipelines;
using System.Text.Encodings.Web;
using System.Text.Json;
using Npgsql;
using Privacy.Api.Platform.Csv;

namespace Privacy.Api.Consent;

/// <summary>The consent log export's lines as they are read, and their two wire forms (CSV, NDJSON).</summary>
public static partial class ConsentExport
{
    /// <summary>One row as read, in the columns' order (sequential access).</summary>
    private sealed class Row
    {
        public Guid Id;
        public DateTimeOffset OccurredAt;
        public string SubjectType = "", SubjectId = "", Kind = "", PolicyVersion = "", Channel = "", Language = "", RecordedBy = "";
        public string? Purpose, NoticeId, NoticeHash, GpcSource, IpAddress, UserAgent, IpAddressHash, UserAgentHash, KeyId;
        public bool? Granted, Requested;
        public bool Gpc;
        public DateTimeOffset? ErasedAt;

        public void Read(NpgsqlDataReader reader, Guid id)
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            bool? Flag(int i) => reader.IsDBNull(i) ? null : reader.GetBoolean(i);
            Id = id;
            OccurredAt = reader.GetFieldValue<DateTimeOffset>(1);
            (SubjectType, SubjectId, Kind, Purpose) = (reader.GetString(2), reader.GetString(3), reader.GetString(4), Text(5));
            (Granted, Requested, PolicyVersion, Channel) = (Flag(6), Flag(7), reader.GetString(8), reader.GetString(9));
            (NoticeId, NoticeHash, Language, Gpc, GpcSource) = (Text(10), Text(11), reader.GetString(12), reader.GetBoolean(13), Text(14));
            (RecordedBy, IpAddress, UserAgent, IpAddressHash, UserAgentHash, KeyId) = (reader.GetString(15), Text(16), Text(17), Text(18), Text(19), Text(20));
            ErasedAt = reader.IsDBNull(21) ? null : reader.GetFieldValue<DateTimeOffset>(21);
        }
    }

    /// <summary>Enum values as stored (PascalCase names) → as on the wire (snake_case, as in every JSON answer and query).</summary>
    private static readonly Dictionary<string, string> Wire = typeof(SubjectType).GetEnumNames()
        .Concat(typeof(ConsentEventKind).GetEnumNames()).Concat(typeof(ConsentChannel).GetEnumNames())
        .ToDictionary(n => n, JsonNamingPolicy.SnakeCaseLower.ConvertName);

    private static string WireName(string stored) => Wire.GetValueOrDefault(stored, stored);

    private interface IRowWriter
    {
        void Write(Row row);

        void Complete();
    }

    private sealed class CsvRows : IRowWriter
    {
        private readonly CsvWriter _csv;

        public CsvRows(PipeWriter body)
        {
            body.Write(System.Text.Encoding.UTF8.Preamble); // spreadsheets read UTF-8 by its BOM (as the record of processing's CSV)
            _csv = new CsvWriter(body);
            foreach (var name in new[]
                     {
                         "receipt_id", "occurred_at", "subject_type", "subject_id", "kind", "purpose", "granted", "requested", "policy_version",
                         "channel", "notice_id", "notice_hash", "language", "gpc", "gpc_source", "recorded_by", "ip_address", "user_agent",
                         "ip_address_hash", "user_agent_hash", "key_id", "proof_erased_at",
                     })
            {
                _csv.Text(name);
            }

            _csv.EndRow();
        }

        public void Write(Row row)
        {
            _csv.Plain(row.Id);
            _csv.Plain(row.OccurredAt.UtcDateTime, InstantFormat);
            _csv.Text(WireName(row.SubjectType));
            _csv.Text(row.SubjectId);
            _csv.Text(WireName(row.Kind));
            _csv.Text(row.Purpose);
            Flag(row.Granted);
            Flag(row.Requested);
            _csv.Text(row.PolicyVersion);
            _csv.Text(WireName(row.Channel));
            _csv.Text(row.NoticeId);
            _csv.Text(row.NoticeHash);
            _csv.Text(row.Language);
            Flag(row.Gpc);
            _csv.Text(row.GpcSource);
            _csv.Text(row.RecordedBy);
            _csv.Text(row.IpAddress);
            _csv.Text(row.UserAgent);
            _csv.Text(row.IpAddressHash);
            _csv.Text(row.UserAgentHash);
            _csv.Text(row.KeyId);
            if (row.ErasedAt is { } erased)
            {
                _csv.Plain(erased.UtcDateTime, InstantFormat);
            }
            else
            {
                _csv.Plain(ReadOnlySpan<byte>.Empty);
            }

            _csv.EndRow();
        }

        public void Complete()
        {
        }

        private void Flag(bool? value) => _csv.Plain(value switch { true => "true"u8, false => "false"u8, null => [] });
    }

    private sealed class JsonRows(PipeWriter body) : IRowWriter
    {
        private static readonly JsonEncodedText ReceiptId = JsonEncodedText.Encode("receiptId"), OccurredAt = JsonEncodedText.Encode("occurredAt"),
            SubjectType = JsonEncodedText.Encode("subjectType"), SubjectId = JsonEncodedText.Encode("subjectId"), Kind = JsonEncodedText.Encode("kind"),
            Purpose = JsonEncodedText.Encode("purpose"), Granted = JsonEncodedText.Encode("granted"), Requested = JsonEncodedText.Encode("requested"),
            PolicyVersion = JsonEncodedText.Encode("policyVersion"), Channel = JsonEncodedText.Encode("channel"),
            NoticeId = JsonEncodedText.Encode("noticeId"), NoticeHash = JsonEncodedText.Encode("noticeHash"),
            Language = JsonEncodedText.Encode("language"), Gpc = JsonEncodedText.Encode("gpc"), GpcSource = JsonEncodedText.Encode("gpcSource"),
            RecordedBy = JsonEncodedText.Encode("recordedBy"), IpAddress = JsonEncodedText.Encode("ipAddress"),
            UserAgent = JsonEncodedText.Encode("userAgent"), IpAddressHash = JsonEncodedText.Encode("ipAddressHash"),
            UserAgentHash = JsonEncodedText.Encode("userAgentHash"), KeyId = JsonEncodedText.Encode("keyId"),
            ProofErasedAt = JsonEncodedText.Encode("proofErasedAt");

        private readonly Utf8JsonWriter _json = new(body, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

        public void Write(Row row)
        {
            _json.WriteStartObject();
            _json.WriteString(ReceiptId, row.Id);
            Instant(OccurredAt, row.OccurredAt);
            _json.WriteString(SubjectType, WireName(row.SubjectType));
            _json.WriteString(SubjectId, row.SubjectId);
            _json.WriteString(Kind, WireName(row.Kind));
            _json.WriteString(Purpose, row.Purpose);
            Flag(Granted, row.Granted);
            Flag(Requested, row.Requested);
            _json.WriteString(PolicyVersion, row.PolicyVersion);
            _json.WriteString(Channel, WireName(row.Channel));
            _json.WriteString(NoticeId, row.NoticeId);
            _json.WriteString(NoticeHash, row.NoticeHash);
            _json.WriteString(Language, row.Language);
            _json.WriteBoolean(Gpc, row.Gpc);
            _json.WriteString(GpcSource, row.GpcSource);
            _json.WriteString(RecordedBy, row.RecordedBy);
            _json.WriteString(IpAddress, row.IpAddress);
            _json.WriteString(UserAgent, row.UserAgent);
            _json.WriteString(IpAddressHash, row.IpAddressHash);
            _json.WriteString(UserAgentHash, row.UserAgentHash);
            _json.WriteString(KeyId, row.KeyId);
            if (row.ErasedAt is { } erased)
            {
                Instant(ProofErasedAt, erased);
            }
            else
            {
                _json.WriteNull(ProofErasedAt);
            }

            _json.WriteEndObject();
            _json.Flush(); // into the pipe; the line ends after it, and the next object is a new top-level value
            body.Write("\n"u8);
            _json.Reset();
        }

        public void Complete() => _json.Dispose();

        private void Flag(JsonEncodedText name, bool? value)
        {
            if (value is { } flag)
            {
                _json.WriteBoolean(name, flag);
            }
            else
            {
                _json.WriteNull(name);
            }
        }

        private void Instant(JsonEncodedText name, DateTimeOffset value)
        {
            Span<byte> text = stackalloc byte[32];
            value.UtcDateTime.TryFormat(text, out var written, InstantFormat, System.Globalization.CultureInfo.InvariantCulture);
            _json.WriteString(name, text[..written]);
        }
    }
}
