using System.CommandLine;

namespace AuthPatterns.Tests.Tool;

/// <summary>Runs the tool's root command in this process and captures what it writes, as a terminal would show it.</summary>
internal static class ToolInvocation
{
    public static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await AuthPatterns.Tool.Program.CreateRootCommand().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }
}
