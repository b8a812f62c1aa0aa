# Reference knots (Hmisc::rcspline.eval default placement, as rms::rcs) and basis values
# (default normalisation norm = 2, inclx = TRUE).
library(Hmisc); library(jsonlite)
d <- read.csv("data_rcs.csv")
res <- list()
for (v in c("big", "small", "tied")) {
  x <- d[[v]]; x <- x[!is.na(x)]
  for (k in 3:7) {
    kn <- rcspline.eval(x, nk = k, knots.only = TRUE)
    res[[paste0(v, "_", k)]] <- list(knots = as.numeric(kn),
      basis = unname(rcspline.eval(x, knots = kn, inclx = TRUE)))
  }
}
res$R_version <- R.version.string
res$Hmisc_version <- as.character(packageVersion("Hmisc"))
res$date <- as.character(Sys.Date())
write(toJSON(res, digits = NA, auto_unbox = TRUE), "values.json")
