using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Privacy.Api.Platform.Database.Migrations
{
    /// <summary>
    /// Data only (the model is unchanged): the seeded website and e-mail systems hold customer numbers, so the egress gate lets
    /// their rights-request tasks name the customer. The seed inserts missing entries only, so existing databases get it here.
    /// </summary>
    [DbContext(typeof(PrivacyDbContext))]
    [Migration("20261201220000_SystemsHoldCustomerNumbers")]
    public partial class SystemsHoldCustomerNumbers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.Sql("""
            INSERT INTO privacy.internal_system_categories (system_key, category_key)
            SELECT s.key, 'user.unique_id' FROM privacy.internal_systems s
            WHERE s.key IN ('website', 'email') AND EXISTS (SELECT 1 FROM privacy.data_categories c WHERE c.key = 'user.unique_id')
            ON CONFLICT DO NOTHING
            """);

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.Sql("""
            DELETE FROM privacy.internal_system_categories WHERE system_key IN ('website', 'email') AND category_key = 'user.unique_id'
            """);
    }
}
