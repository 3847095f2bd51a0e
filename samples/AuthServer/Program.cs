using AuthServer;

var app = await AuthServerHost.BuildAsync(args);
await app.RunAsync();

/// <summary>Entry point of the authorization server sample.</summary>
public partial class Program;
