namespace Privacy.Api.Tests.Platform;

/// <summary>
/// Who may call what, stated by hand for every endpoint (method and route pattern as mapped). The access tests check every
/// role against every endpoint from this table, check it against the policies the endpoints declare, and fail when an
/// endpoint has no entry: adding an endpoint means deciding here, in review, who may call it.
/// Roles: frontend (the website's server, and the banner), partner (a recipient, its own data only), ops (staff through
/// Swagger), system (internal back-end services). No endpoint but the health checks and Swagger answers without a key.
/// </summary>
public static class AccessMatrix
{
    public static readonly IReadOnlyDictionary<string, string> Allowed = new Dictionary<string, string>
    {
        ["GET /whoami"] =                                                  "frontend partner ops system",
        ["GET /registry/categories/"] =                                    "frontend partner ops system",
        ["GET /registry/categories/{key}"] =                               "frontend partner ops system",
        ["POST /registry/categories/"] =                                   "ops",
        ["PUT /registry/categories/{key}"] =                               "ops",
        ["POST /registry/categories/{key}/retire"] =                       "ops",
        ["DELETE /registry/categories/{key}"] =                            "ops",
        ["GET /registry/purposes/"] =                                      "frontend partner ops system",
        ["GET /registry/purposes/{key}"] =                                 "frontend partner ops system",
        ["POST /registry/purposes/"] =                                     "ops",
        ["PUT /registry/purposes/{key}"] =                                 "ops",
        ["POST /registry/purposes/{key}/retire"] =                         "ops",
        ["DELETE /registry/purposes/{key}"] =                              "ops",
        ["GET /registry/recipients/"] =                                    "frontend partner ops system",
        ["GET /registry/recipients/{key}"] =                               "frontend partner ops system",
        ["POST /registry/recipients/"] =                                   "ops",
        ["PUT /registry/recipients/{key}"] =                               "ops",
        ["POST /registry/recipients/{key}/retire"] =                       "ops",
        ["DELETE /registry/recipients/{key}"] =                            "ops",
        ["GET /registry/systems/"] =                                       "frontend partner ops system",
        ["GET /registry/systems/{key}"] =                                  "frontend partner ops system",
        ["POST /registry/systems/"] =                                      "ops",
        ["PUT /registry/systems/{key}"] =                                  "ops",
        ["POST /registry/systems/{key}/retire"] =                          "ops",
        ["DELETE /registry/systems/{key}"] =                               "ops",
        ["GET /registry/links/"] =                                         "frontend partner ops system",
        ["POST /registry/links/"] =                                        "ops",
        ["POST /registry/links/{id:long}/retire"] =                        "ops",
        ["GET /registry/record-of-processing"] =                           "ops system",
        ["GET /registry/record-of-processing.csv"] =                       "ops system",
        ["GET /consent/purposes"] =                                        "frontend ops system",
        ["POST /consent/decisions"] =                                      "frontend ops",
        ["GET /consent/subjects/{subjectType}/{subjectId}"] =              "frontend ops system",
        ["POST /consent/subjects/{subjectType}/{subjectId}/withdrawals"] = "frontend ops",
        ["GET /consent/subjects/{subjectType}/{subjectId}/history"] =      "ops system",
        ["POST /consent/subjects/visitor/{visitorId}/link"] =              "frontend ops",
        ["GET /consent/receipts/{receiptId:guid}"] =                       "frontend ops system",
        ["GET /consent/policy-versions/"] =                                "frontend ops system",
        ["GET /consent/policy-versions/current"] =                         "frontend ops system",
        ["GET /consent/policy-versions/{version}"] =                       "frontend ops system",
        ["POST /consent/policy-versions/"] =                               "ops",
        ["POST /disclosures/"] =                                           "ops system",
        ["GET /disclosures/"] =                                            "ops system",
        ["POST /disclosures/search"] =                                     "ops system",
        ["POST /follow-ups/"] =                                            "ops system",
        ["GET /follow-ups/"] =                                             "ops system",
        ["GET /partner/feed"] =                                            "partner",
        ["POST /partner/follow-ups/{id:long}/acknowledgement"] =           "partner",
        ["GET /notifier/endpoints"] =                                      "ops",
        ["GET /notifier/endpoints/{recipient}"] =                          "ops",
        ["PUT /notifier/endpoints/{recipient}"] =                          "ops",
        ["DELETE /notifier/endpoints/{recipient}"] =                       "ops",
        ["POST /notifier/endpoints/{recipient}/secrets"] =                 "ops",
        ["GET /notifier/status"] =                                         "ops",
        ["GET /notifier/messages"] =                                       "ops",
        ["POST /notifier/messages/{id:long}/replay"] =                     "ops",
        ["POST /requests/"] =                                              "frontend ops",
        ["GET /requests/"] =                                               "ops",
        ["GET /requests/{id:guid}"] =                                      "frontend ops",
        ["POST /requests/{id:guid}/identity-verification"] =               "ops",
        ["POST /requests/{id:guid}/rejection"] =                           "ops",
        ["POST /requests/{id:guid}/extension"] =                           "ops",
        ["POST /requests/{id:guid}/closure"] =                             "ops",
        ["GET /requests/{id:guid}/report"] =                               "frontend ops",
        ["GET /requests/{id:guid}/export"] =                               "frontend ops",
        ["GET /requests/tasks"] =                                          "ops system",
        ["POST /requests/tasks/{taskId:long}/outcome"] =                   "ops system",
        ["GET /retention/rules"] =                                         "ops",
        ["PUT /retention/rules/{purpose}/{category}"] =                    "ops",
        ["DELETE /retention/rules/{purpose}/{category}"] =                 "ops",
        ["GET /retention/gaps"] =                                          "ops",
        ["POST /retention/clock-events"] =                                 "ops system",
        ["POST /retention/holds"] =                                        "ops",
        ["GET /retention/holds"] =                                         "ops",
        ["POST /retention/holds/{id:long}/release"] =                      "ops",
        ["GET /retention/subjects/{customerNumber}/schedule"] =            "ops",
        ["GET /retention/dry-run"] =                                       "ops",
        ["POST /retention/sweeps"] =                                       "ops",
        ["GET /audit/entries"] =                                           "ops",
        ["GET /audit/verify"] =                                            "ops",
    };

    public static string[] RolesFor(string method, string pattern) =>
        Allowed.TryGetValue($"{method} {pattern}", out var roles) ? roles.Split(' ') : throw new KeyNotFoundException(
            $"{method} {pattern} has no entry in AccessMatrix: state which roles may call it.");
}
