# Smultronsites privacy service: container image.
#
#   docker build -t privacy-api .
#
# Configuration is read from environment variables (ASP.NET Core "__" convention); see
# docker-compose.yml and deploy/README.md. ConnectionStrings__Privacy is required outside Development.

# --- build ------------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src

# Restore first, from the files that decide the package graph only, so the restore layer stays
# cached until a package or the SDK pin changes. (global.json pins SDK 10.0.100 with rollForward
# latestFeature, which any 10.0 SDK image satisfies.)
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Privacy.Api/Privacy.Api.csproj src/Privacy.Api/
RUN dotnet restore src/Privacy.Api/Privacy.Api.csproj

# Then the sources (.dockerignore keeps bin/, obj/, tests/ and local data out of the context).
COPY src/ src/
RUN dotnet publish src/Privacy.Api/Privacy.Api.csproj -c Release -o /app --no-restore /p:UseAppHost=false

# --- runtime ----------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app

ENV ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080

# Application files stay owned by root and are read-only to the service.
COPY --from=build /app .

# The non-root "app" user (UID 1654) the .NET images provide; numeric, so Kubernetes runAsNonRoot can verify it.
USER $APP_UID

# No HEALTHCHECK: the aspnet image has no curl or wget. Probe GET /health/live (process up) and
# GET /health/ready (database reachable, migrations applied) from the orchestrator instead.
ENTRYPOINT ["dotnet", "Privacy.Api.dll"]
