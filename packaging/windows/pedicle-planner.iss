; Inno Setup script: installs build\dist\pedicle-planner (from pedicle-planner.spec) with a
; Start-menu entry and opens *.ppplan.json plan files in Pedicle Planner.
; Build: iscc packaging\windows\pedicle-planner.iss   (untested: made on Linux)
#define AppVersion "0.1.0"
[Setup]
AppId={{6F1C7A52-3D0B-4C8E-9E61-2C0B9B7A4E10}
AppName=Pedicle Planner
AppVersion={#AppVersion}
AppPublisher=Pedicle Planner contributors
DefaultDirName={autopf}\Pedicle Planner
DefaultGroupName=Pedicle Planner
OutputDir=..\..\dist
OutputBaseFilename=pedicle-planner-{#AppVersion}-windows-setup
ChangesAssociations=yes
ArchitecturesInstallIn64BitMode=x64
[Files]
Source: "..\..\build\dist\pedicle-planner\*"; DestDir: "{app}"; Flags: recursesubdirs
[Icons]
Name: "{group}\Pedicle Planner"; Filename: "{app}\pedicle-planner.exe"
[Registry]
Root: HKA; Subkey: "Software\Classes\.ppplan.json"; ValueType: string; ValueData: "PediclePlanner.Plan"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\PediclePlanner.Plan"; ValueType: string; ValueData: "Pedicle Planner plan"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\PediclePlanner.Plan\DefaultIcon"; ValueType: string; ValueData: "{app}\pedicle-planner.exe,0"
Root: HKA; Subkey: "Software\Classes\PediclePlanner.Plan\shell\open\command"; ValueType: string; ValueData: """{app}\pedicle-planner.exe"" ""%1"""
