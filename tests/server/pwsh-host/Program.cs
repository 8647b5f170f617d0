// psremote-pwsh-host: real PowerShell as a PSRP server over stdin/stdout for PSRemote's loopback
// WinRM endpoint (tests/server/PwshProcess relays WS-Management operations to it).
//
// `pwsh -s -NoLogo` (Microsoft.PowerShell.ConsoleHost) does exactly one thing in server mode: it
// calls the internal System.Management.Automation.Remoting.Server.StdIOProcessMediator.Run(
// initialCommand, workingDirectory, configurationName, configurationFile, combineErrOutStream)
// with (null, null, null, null, false). The ConsoleHost and SDK packages are not served by this
// machine's NuGet source, System.Management.Automation is, and the mediator is internal to it, so
// this host reaches it by reflection. Everything after that call is PowerShell's own code: the
// out-of-process packet grammar (<Data>, <Command>, <Signal>, <Close> and their acks), the PSRP
// server state machines and the engine.
using System;
using System.Reflection;

namespace PsRemote.PwshHost
{
    internal static class Program
    {
        private const string MediatorType =
            "System.Management.Automation.Remoting.Server.StdIOProcessMediator";

        private static int Main(string[] args)
        {
            if (args.Length == 1 && args[0] == "--version")
            {
                Console.WriteLine(typeof(System.Management.Automation.PowerShell).Assembly
                    .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);
                return 0;
            }

            Type? mediator = typeof(System.Management.Automation.PowerShell).Assembly.GetType(MediatorType);
            MethodInfo? run = mediator?.GetMethod(
                "Run",
                BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public,
                binder: null,
                types: new[] { typeof(string), typeof(string), typeof(string), typeof(string), typeof(bool) },
                modifiers: null);
            if (run is null)
            {
                Console.Error.WriteLine("psremote-pwsh-host: " + MediatorType
                    + ".Run(string, string, string, string, bool) not found in this System.Management.Automation");
                return 2;
            }

            // Same arguments as ConsoleHost for `pwsh -s`: no initial command, no working directory,
            // default configuration, remoting errors on stderr (not combined into stdout).
            run.Invoke(null, new object?[] { null, null, null, null, false });
            return 0;
        }
    }
}
