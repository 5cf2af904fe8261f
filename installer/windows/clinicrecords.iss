; ClinicRecords for Windows: Inno Setup 6 script (built by .github/workflows/windows.yml).
;   iscc /DAppVersion=0.1.0 /DBundleDir=..\..\dist\ClinicRecords /DTesseractDir=..\..\build\tesseract ^
;        /DOutputDir=..\..\dist installer\windows\clinicrecords.iss
; Installs per machine (Program Files, needs an administrator), for every user of the PC.
; Silent install, as an IT person deploys it:
;   ClinicRecords-0.1.0-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART [/LOG=install.log]
; Silent uninstall: "C:\Program Files\ClinicRecords\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES
; Uninstalling removes the program only. The clinic's data folder (per user,
; %LOCALAPPDATA%\ClinicRecords\ClinicRecords, or wherever --data-dir points), its backups and the
; developer log are never touched: there is deliberately no [UninstallDelete] for them.
; Installing a newer version over an older one (same AppId) replaces the program; the store
; is migrated at its next start, after an automatic encrypted backup (db/migrate.py).

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\ClinicRecords"
#endif
#ifndef TesseractDir
  #define TesseractDir "..\..\build\tesseract"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif

[Setup]
AppId={{6C9E0F3A-2B7D-4E51-9A8C-3D1F5B7E2A64}
AppName=ClinicRecords
AppVersion={#AppVersion}
AppVerName=ClinicRecords {#AppVersion}
AppPublisher=ClinicRecords
DefaultDirName={autopf}\ClinicRecords
DefaultGroupName=ClinicRecords
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename=ClinicRecords-{#AppVersion}-setup
SetupIconFile=..\..\resources\clinicrecords.ico
UninstallDisplayIcon={app}\clinicrecords-gui.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; A running ClinicRecords is asked to close (and restarted after a silent upgrade).
CloseApplications=yes
RestartApplications=no
MinVersion=10.0
; The install folder goes on the machine's PATH ([Registry]): tell running programs.
ChangesEnvironment=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; A previous version's program files (not data: that lives in the user's profile).
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
; Tesseract (UB Mannheim build) with tessdata\eng, osd and configs\ (the "tsv" output format):
; scan/ocr.py uses {app}\tesseract\tesseract.exe and its tessdata before anything on PATH.
Source: "{#TesseractDir}\*"; DestDir: "{app}\tesseract"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\ClinicRecords"; Filename: "{app}\clinicrecords-gui.exe"; WorkingDir: "{userdocs}"; Comment: "Find charts, file scanned paper, release records"
Name: "{autodesktop}\ClinicRecords"; Filename: "{app}\clinicrecords-gui.exe"; WorkingDir: "{userdocs}"; Tasks: desktopicon

[Registry]
; "clinicrecords" in any command prompt (scheduled backups, IT scripts): the install folder on
; the machine's PATH, removed again on uninstall.
Root: HKLM; Subkey: "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\clinicrecords-gui.exe"; Description: "{cm:LaunchProgram,ClinicRecords}"; Flags: nowait postinstall skipifsilent

[Code]
function NeedsAddPath(Dir: string): Boolean;
var
  Paths: string;
begin
  if not RegQueryStringValue(HKLM, 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment', 'Path', Paths) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') = 0;
end;

procedure RemovePath(Dir: string);
var
  Paths: string;
  P: Integer;
begin
  if not RegQueryStringValue(HKLM, 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment', 'Path', Paths) then
    exit;
  P := Pos(';' + Uppercase(Dir), Uppercase(Paths));
  if P = 0 then
    exit;
  Delete(Paths, P, Length(Dir) + 1);
  RegWriteExpandStringValue(HKLM, 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment', 'Path', Paths);
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    RemovePath(ExpandConstant('{app}'));
end;
