using AuthPatterns.Authorization;

namespace AuthPatterns.Dashboard;

/// <summary>Options of the dashboard mapped by <c>MapLayeredAuthDashboard</c>.</summary>
public sealed class LayeredAuthDashboardOptions
{
    /// <summary>The scope the dashboard requires by default.</summary>
    public const string DefaultScope = "authpatterns:admin";

    /// <summary>
    /// The scope a caller needs to see the dashboard and to act in it. Default <c>authpatterns:admin</c>. A holder
    /// manages every owner's keys (in its tenant, when it has a <c>tenant</c> claim) and grants only scopes it holds itself,
    /// as a caller of the management endpoints with their admin scope does.
    /// </summary>
    public string RequiredScope { get; set; } = DefaultScope;

    /// <summary>How far back the usage charts reach, in whole hours. Default 24 hours; at most 31 days.</summary>
    public TimeSpan UsageWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Checks the options; called when the dashboard is mapped.</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public void Validate()
    {
        if (!ScopeClaimNormalizer.IsValidScope(RequiredScope))
        {
            throw new ArgumentException($"{nameof(LayeredAuthDashboardOptions)}.{nameof(RequiredScope)} must be one scope (printable ASCII, no spaces or quotes); '{RequiredScope}' is not.", nameof(RequiredScope));
        }

        if (UsageWindow < TimeSpan.FromHours(1) || UsageWindow > TimeSpan.FromDays(31) || UsageWindow.Ticks % TimeSpan.TicksPerHour != 0)
        {
            throw new ArgumentException($"{nameof(LayeredAuthDashboardOptions)}.{nameof(UsageWindow)} must be whole hours from 1 hour to 31 days; {UsageWindow} is not.", nameof(UsageWindow));
        }
    }
}
