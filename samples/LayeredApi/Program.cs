using LayeredApi;

var app = SampleHost.Build(args);
app.Run();

/// <summary>Entry point, visible to <c>WebApplicationFactory&lt;Program&gt;</c> in the tests.</summary>
public partial class Program;
