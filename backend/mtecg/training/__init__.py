"""Training and evaluation on labelled printouts (manifests of files with scar/LVEF labels)."""
