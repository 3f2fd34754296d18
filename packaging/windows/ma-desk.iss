; Inno Setup 6 script: the Windows installer of MA Desk, from PyInstaller's one-folder build.
;
; On a Windows build machine (see docs/install.md, "Windows"):
;   pyinstaller build_installer.spec                 -> dist\ma-desk\ (ma-desk-gui.exe, ma-desk.exe)
;   iscc packaging\windows\ma-desk.iss               -> dist\installer\ma-desk-<version>-setup.exe
;
; The version comes from the built program (the spec writes it into ma-desk-gui.exe's
; version resource from ma_desk.__version__); /DAppVersion=X.Y.Z on the iscc command line
; overrides it.
;
; Installs for all users (Program Files, asks for administrator rights) or, when chosen in
; the first dialog, for the current user only. Start-menu entry and (optional) desktop
; shortcut start the GUI, which has no console window; the command line ma-desk.exe can
; be put on PATH (optional task). The uninstaller removes only the program folder: the
; clinic's data (store, key file, backups) lives in each user's %LOCALAPPDATA%\MA Desk and
; is never touched, nor are the keyring entries in Windows Credential Manager.
;
; Not built or tested where this project is developed (Linux): check on Windows before a
; release (docs/install.md lists what).

#define AppName "MA Desk"
#define BuildDir AddBackslash(SourcePath) + "..\..\dist\ma-desk"
#ifndef AppVersion
  #define AppVersion GetVersionNumbersString(BuildDir + "\ma-desk-gui.exe")
#endif

[Setup]
; Never change AppId: Windows finds the installed copy (upgrades, uninstall) by it.
AppId={{6B0B7E55-4C1E-4E57-9D0A-2F3C5D8A1E42}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=MA Desk
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
SetupIconFile=..\..\resources\icons\ma-desk.ico
UninstallDisplayIcon={app}\ma-desk-gui.exe
UninstallDisplayName={#AppName}
OutputDir=..\..\dist\installer
OutputBaseFilename=ma-desk-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesEnvironment=yes
; A running MA Desk holds files open: ask to close it before replacing them.
CloseApplications=yes
RestartApplications=no

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; GroupDescription: "Shortcuts:"
Name: "addtopath"; Description: "Put the command line (ma-desk) on PATH, for support staff and scripts"; GroupDescription: "Command line:"; Flags: unchecked

[Files]
Source: "{#BuildDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\ma-desk-gui.exe"; WorkingDir: "{app}"; Comment: "The medical assistant's workstation"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\ma-desk-gui.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\ma-desk-gui.exe"; Description: "Start {#AppName} now"; Flags: postinstall nowait skipifsilent

[Code]
// PATH: HKLM for an all-users install, HKCU for a per-user one; removed again on uninstall.
function EnvironmentRoot: Integer;
begin
  if IsAdminInstallMode then Result := HKEY_LOCAL_MACHINE else Result := HKEY_CURRENT_USER;
end;

function EnvironmentKey: String;
begin
  if IsAdminInstallMode then
    Result := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
  else
    Result := 'Environment';
end;

function PathWithout(const Path, Dir: String): String;
var
  Rest, Part: String;
  Split: Integer;
begin
  Result := '';
  Rest := Path;
  while Rest <> '' do
  begin
    Split := Pos(';', Rest);
    if Split = 0 then
    begin
      Part := Rest;
      Rest := '';
    end
    else
    begin
      Part := Copy(Rest, 1, Split - 1);
      Rest := Copy(Rest, Split + 1, Length(Rest));
    end;
    if (Part <> '') and (CompareText(RemoveBackslashUnlessRoot(Part), RemoveBackslashUnlessRoot(Dir)) <> 0) then
    begin
      if Result <> '' then Result := Result + ';';
      Result := Result + Part;
    end;
  end;
end;

procedure SetPath(const Value: String);
begin
  RegWriteExpandStringValue(EnvironmentRoot, EnvironmentKey, 'Path', Value);
end;

function CurrentPath: String;
begin
  if not RegQueryStringValue(EnvironmentRoot, EnvironmentKey, 'Path', Result) then Result := '';
end;

procedure CurStepChanged(CurStep: TSetupStep);
var
  Path: String;
begin
  if (CurStep = ssPostInstall) and WizardIsTaskSelected('addtopath') then
  begin
    Path := PathWithout(CurrentPath, ExpandConstant('{app}'));
    if Path <> '' then Path := Path + ';';
    SetPath(Path + ExpandConstant('{app}'));
  end;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Path: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    Path := CurrentPath;
    if Path <> PathWithout(Path, ExpandConstant('{app}')) then
      SetPath(PathWithout(Path, ExpandConstant('{app}')));
  end;
end;
